// PM2 ecosystem for the cloud VM: the inbox watcher and the cloud agent.
// Start:   pm2 start deployment/cloud/ecosystem.config.js && pm2 save
// Both read their settings from /opt/ai-employee/.env (AIE_ROLE=cloud, AIE_VAULT, IMAP, Odoo).
const path = require("path");

const ROOT = process.env.AIE_HOME || path.resolve(__dirname, "..", "..");
const BIN = process.env.AIE_BIN || path.join(ROOT, ".venv", "bin");
const LOGS = process.env.AIE_LOG_DIR || path.join(ROOT, "logs");

const common = {
  cwd: ROOT,
  interpreter: "none",
  autorestart: true,
  exp_backoff_restart_delay: 200, // 200 ms, then 1.5 times longer each time, up to 15 s
  max_restarts: 50,
  // Exit code 2 is a configuration error (a setting missing or wrong, named in one line of the
  // error log): restarting cannot fix it, so PM2 leaves the app down (`pm2 ls` says "waiting
  // restart" with 0 restarts, as PM2 does when a restart delay is set, but none comes). Fix
  // .env, then `pm2 restart <name>`. Any other exit (a crash) is restarted as above.
  stop_exit_codes: [2],
  min_uptime: "10s",
  kill_timeout: 15000, // SIGTERM first: the agent finishes its pass, then exits
  merge_logs: true,
  time: true,
  env: { AIE_ROLE: "cloud", PYTHONUNBUFFERED: "1" },
};

module.exports = {
  apps: [
    {
      ...common,
      name: "aie-inbox-watcher",
      script: path.join(BIN, "email-watch"),
      out_file: path.join(LOGS, "inbox-watcher.out.log"),
      error_file: path.join(LOGS, "inbox-watcher.err.log"),
    },
    {
      ...common,
      name: "aie-cloud-agent",
      script: path.join(BIN, "ai-employee"),
      args: "cloud",
      out_file: path.join(LOGS, "cloud-agent.out.log"),
      error_file: path.join(LOGS, "cloud-agent.err.log"),
    },
  ],
};
