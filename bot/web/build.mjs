// Copies the chat page's browser dependencies from node_modules/ into static/vendor/,
// where the web app serves them as /static/vendor/*. Run by `make setup` after `npm ci`
// (both here, in bot/web/); static/vendor/ is generated, never committed.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const vendor = join(here, "static", "vendor");

const clientDir = dirname(require.resolve("socket.io-client/package.json"));
const { version } = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8"));

mkdirSync(vendor, { recursive: true });
for (const file of ["socket.io.min.js", "socket.io.min.js.map"]) {
  copyFileSync(join(clientDir, "dist", file), join(vendor, file));
}
copyFileSync(join(clientDir, "LICENSE"), join(vendor, "socket.io-client.LICENSE"));
writeFileSync(join(vendor, "VERSIONS"), `socket.io-client ${version}\n`);
console.log(`static/vendor/: socket.io-client ${version}`);
