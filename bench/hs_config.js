'use strict';
// The mxhs configuration every bridge benchmark starts from: one homeserver
// in its temporary directory with signalbridge loaded, quiet logs and no
// login rate limit. `lines` are the module's own config lines (YAML, one
// string per line, without the indentation).
const fs = require('node:fs');
const path = require('node:path');
const { SERVER } = require(path.join(__dirname, '..', 'tests', 'e2e', 'mxhs_harness.js'));

function writeBridgeConfig(hs, so, lines) {
  fs.writeFileSync(hs.config, `server_name: ${SERVER}
listen: {address: 127.0.0.1, port: 0}
database: {path: ${hs.dir}/hs.db}
media_path: ${hs.dir}/media
data_dir: ${hs.dir}
registration: {enabled: true}
login_rate_limit: {per_minute: 100000}
log_level: warn
modules:
  - module: ${so}
    double_puppet: true
    config:
${lines.map((l) => `      ${l}`).join('\n')}
`);
}

module.exports = { writeBridgeConfig };
