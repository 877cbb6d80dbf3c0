// The chat page (/): one anonymous visitor per browser, drawn by chat-core.js. The visitor's
// id (web-<uuid>) lives in localStorage, and with session persistence Rasa uses it as the
// sender id, so a reload (or a new connection) is the same user with the same profile.
// Where Rasa runs comes from /config.json (a deploy-time setting, not baked into the JS).
// socket.io-client comes from npm: `make setup` copies it to /static/vendor/ (bot/web/build.mjs);
// without it the page falls back to Rasa's REST channel.
(function () {
  "use strict";

  const SENDER_KEY = "moviebot.senderId";
  const HISTORY_KEY_PREFIX = "moviebot.history.";
  const store = RecBotChat.store;

  let senderId = store.get(SENDER_KEY);
  if (!senderId) {
    senderId = RecBotChat.newAnonymousId();
    store.set(SENDER_KEY, senderId);
  }
  document.documentElement.dataset.chatSession = senderId;

  const rasaUrl = fetch("/config.json", { cache: "no-store" })
    .then((res) => {
      if (!res.ok) throw new Error("config.json HTTP " + res.status);
      return res.json();
    })
    .then((cfg) => String(cfg.rasa_url || "").replace(/\/+$/, ""));

  const chat = RecBotChat.create({
    messagesEl: document.getElementById("chat-messages"),
    formEl: document.getElementById("chat-form"),
    inputEl: document.getElementById("chat-input"),
    io: typeof window.io === "function" ? window.io : null,
    rasaUrl: rasaUrl,
    identity: { senderId: senderId, token: null },
    historyKeyPrefix: HISTORY_KEY_PREFIX,
    status: document.documentElement,
    texts: {
      unreachable: ["I can't reach the assistant right now — is ", { code: "make run" }, " still running?"],
      typing: "typing…",
      typingLabel: "The assistant is typing",
    },
  });

  document.getElementById("chat-new-user").addEventListener("click", () => {
    chat.forget();
    store.remove(SENDER_KEY);
    window.location.reload();
  });
})();
