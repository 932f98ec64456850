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
  exp_backoff_restart_delay: 200, // 200 ms, doubling up to 15 s while it keeps crashing
  max_restarts: 50,
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
