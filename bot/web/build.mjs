// Builds the browser assets from node_modules/ and this folder's sources into static/vendor/,
// where the web app serves them (generated, never committed). Run by `make setup` after
// `npm ci` (both here, in bot/web/):
//   - socket.io.min.js: socket.io-client for the chat page (/);
//   - recbot-widget.js: the embeddable widget, one file: socket.io-client (wrapped so that it
//     defines no global on the shop's page), static/chat-core.js, widget/widget.js, and the
//     CSS of theme.css, chat.css and widget/widget.css for its shadow root. The web app serves
//     it at /widget/<package.json version>/recbot.js (bot/web/widget_asset.py).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const vendor = join(here, "static", "vendor");
const read = (...parts) => readFileSync(join(...parts), "utf8");

const clientDir = dirname(require.resolve("socket.io-client/package.json"));
const { version: clientVersion } = JSON.parse(read(clientDir, "package.json"));
const { version } = JSON.parse(read(here, "package.json"));

mkdirSync(vendor, { recursive: true });
for (const file of ["socket.io.min.js", "socket.io.min.js.map"]) {
  copyFileSync(join(clientDir, "dist", file), join(vendor, file));
}
copyFileSync(join(clientDir, "LICENSE"), join(vendor, "socket.io-client.LICENSE"));

// The page's CSS is written for a document (:root); in a shadow root the same rules hang off :host.
const css = [read(here, "static", "theme.css"), read(here, "static", "chat.css"), read(here, "widget", "widget.css")]
  .join("\n")
  .replace(/:root/g, ":host");
const socketIo = read(clientDir, "dist", "socket.io.min.js").replace(/\/\/# sourceMappingURL=.*$/m, "");
const widget = `/*! recbot widget ${version} (Apache-2.0), with socket.io-client ${clientVersion} (MIT) */
(function () {
var RECBOT_VERSION = ${JSON.stringify(version)};
var RECBOT_CSS = ${JSON.stringify(css)};
var io = (function () {
  var module = { exports: {} }, exports = module.exports, define;
  ${socketIo}
  return module.exports;
})();
${read(here, "static", "chat-core.js")}
${read(here, "widget", "widget.js")}
})();
`;
writeFileSync(join(vendor, "recbot-widget.js"), widget);
writeFileSync(join(vendor, "VERSIONS"), `recbot-widget ${version}\nsocket.io-client ${clientVersion}\n`);
console.log(`static/vendor/: socket.io-client ${clientVersion}, recbot-widget ${version}`);
