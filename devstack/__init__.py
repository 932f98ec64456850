"""The Platinum setup on one machine, for the demo, the end-to-end tests and the benchmarks.

Not part of the runtime: the agents and servers never import it. It starts what a real
deployment gets from the outside world (a private Dovecot and SMTP relay, the Odoo
stand-in, the scripted model that plays Claude Code's model, two Syncthing instances) as
processes on loopback, and the agents as their own child processes.
"""
