// Chat widget for the movie bot, over Rasa's socket.io channel (credentials.yml: socketio,
// session_persistence: true). The client library is socket.io-client from npm, which
// `make setup` installs in bot/web/ and copies to /static/vendor/ (see bot/web/build.mjs).
//
//   connect → emit "session_request" {session_id} → receive "session_confirm"
//   emit "user_uttered" {message, session_id}      → receive "bot_uttered" messages:
//     {text}, {text, quick_replies: [{title, payload}]}, {attachment: {type: "image", payload: {src}}}
//
// Session persistence: the session id lives in localStorage, and with session_persistence
// Rasa uses it as the sender id, so a reload (or a new connection) is the same user with the
// same profile. The conversation shown is kept in localStorage too and drawn again on reload.
// If socket.io-client is missing (`make setup` not run), the page falls back to Rasa's REST
// channel: POST {rasa_url}/webhooks/rest/webhook {"sender": id, "message": text}.
//
// Plain JS, no framework. All message/title text is set through textContent or text nodes,
// never parsed as HTML, so nothing said can inject markup.
(function () {
  "use strict";

  const SENDER_KEY = "moviebot.senderId";
  const HISTORY_KEY_PREFIX = "moviebot.history.";
  const HISTORY_LIMIT = 300; // entries kept per user; older ones are dropped
  const REPLY_TIMEOUT_MS = 60000; // first reply can be slow while Rasa warms up
  const GREET_PAYLOAD = "/greet";
  const REST_PATH = "/webhooks/rest/webhook";
  const SOCKET_PATH = "/socket.io"; // credentials.yml: socketio_path (Rasa's default)

  const messagesEl = document.getElementById("chat-messages");
  const formEl = document.getElementById("chat-form");
  const inputEl = document.getElementById("chat-input");
  const newUserEl = document.getElementById("chat-new-user");

  let memorySenderId = null; // used only when localStorage is unavailable
  let memoryHistory = []; // likewise
  let typingEl = null;
  let typingTimer = null;
  let errorEl = null;
  let lastCard = null; // {entry, el}: where an image that follows a card's text goes

  // ---- sender id: one per browser, survives reloads so the bot remembers us ----

  function newSenderId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return "web-" + window.crypto.randomUUID();
    }
    // randomUUID needs a secure context (https/localhost); keep LAN demos working.
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return "web-" + [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function getSenderId() {
    try {
      let id = window.localStorage.getItem(SENDER_KEY);
      if (!id) {
        id = newSenderId();
        window.localStorage.setItem(SENDER_KEY, id);
      }
      return id;
    } catch (err) {
      memorySenderId = memorySenderId || newSenderId();
      return memorySenderId;
    }
  }

  const senderId = getSenderId();
  document.documentElement.dataset.chatSession = senderId;

  // ---- the conversation shown, kept per user so a reload draws it again ----
  // Entries: {who: "user", text} or {who: "bot", msg: {text, buttons, image}, chosen: [payloads]}.

  function historyKey() {
    return HISTORY_KEY_PREFIX + senderId;
  }

  function loadHistory() {
    try {
      const parsed = JSON.parse(window.localStorage.getItem(historyKey()) || "[]");
      return Array.isArray(parsed) ? parsed : [];
    } catch (err) {
      return memoryHistory;
    }
  }

  const history = loadHistory();

  let leaving = false; // "New user" was pressed: a late reply must not write the old transcript back

  function saveHistory() {
    if (leaving) return;
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    try {
      window.localStorage.setItem(historyKey(), JSON.stringify(history));
    } catch (err) {
      memoryHistory = history; // storage full or disabled: keep it for this page only
    }
  }

  function remember(entry) {
    history.push(entry);
    saveHistory();
    return entry;
  }

  // ---- where Rasa lives: read once from the server, not hard-coded ----

  const rasaUrlPromise = fetch("/config.json", { cache: "no-store" })
    .then((res) => {
      if (!res.ok) throw new Error("config.json HTTP " + res.status);
      return res.json();
    })
    .then((cfg) => String(cfg.rasa_url || "").replace(/\/+$/, ""));

  // ---- rendering (DOM nodes only, no HTML strings) ----

  function scrollToBottom() {
    messagesEl.scrollTop = messagesEl.scrollHeight;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Appends text to parent, turning *bold* / **bold** into <strong>.
  // The markers must hug non-space characters, so "2 * 3 * 4" stays as is.
  function appendFormatted(parent, text) {
    const re = /\*\*(\S(?:[^*\n]*\S)?)\*\*|\*(\S(?:[^*\n]*\S)?)\*/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      parent.appendChild(el("strong", "", m[1] !== undefined ? m[1] : m[2]));
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function safeImageUrl(src) {
    try {
      const url = new URL(String(src), window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  function makeImage(src, className) {
    const url = safeImageUrl(src);
    if (!url) return null;
    const img = el("img", className);
    img.src = url;
    img.alt = ""; // decorative: the title next to it says what it is
    img.loading = "lazy";
    img.addEventListener("load", scrollToBottom);
    img.addEventListener("error", () => img.remove());
    return img;
  }

  function addUserBubble(text) {
    messagesEl.appendChild(el("div", "msg user", text));
    scrollToBottom();
  }

  // A recommendation: "**Title (Year)** · categories\ndescription\n[attributes]\nWhy: reason"
  // with 👍 / 👎 / 🔁 buttons whose payloads are /like{...}, /dislike{...}, /more_like_this{...}.
  function parseCard(msg) {
    if (typeof msg.text !== "string" || !Array.isArray(msg.buttons)) return null;
    if (!msg.buttons.some((b) => b && String(b.payload || "").startsWith("/like"))) return null;
    const lines = msg.text.split("\n").map((line) => line.trim()).filter(Boolean);
    const head = /^\*\*(.+?)\*\*\s*(?:·\s*(.*))?$/.exec(lines[0] || "");
    if (!head) return null;
    let rest = lines.slice(1);
    let why = "";
    if (rest.length && rest[rest.length - 1].startsWith("Why:")) {
      why = rest[rest.length - 1].slice(4).trim();
      rest = rest.slice(0, -1);
    }
    return {
      title: head[1],
      categories: head[2] || "",
      description: rest[0] || "",
      details: rest.slice(1),
      why: why,
    };
  }

  // Buttons that answer the same question: one choice per group (like vs. not for me).
  function buttonGroupOf(payload, isCard) {
    if (!isCard) return "all";
    if (payload.startsWith("/like") || payload.startsWith("/dislike") || payload.startsWith("/not_interested")) {
      return "feedback";
    }
    return payload; // "more like this" stands alone
  }

  function renderButtons(container, entry, isCard, label) {
    const buttons = entry.msg.buttons;
    const chosen = entry.chosen || [];
    const byGroup = {};
    buttons.forEach((b) => {
      const title = String(b.title !== undefined ? b.title : b.payload);
      const payload = String(b.payload !== undefined ? b.payload : b.title);
      const group = buttonGroupOf(payload, isCard);
      const btn = el("button", "", title);
      btn.type = "button";
      btn.dataset.payload = payload;
      (byGroup[group] = byGroup[group] || []).push(btn);
      btn.addEventListener("click", () => {
        // One answer per group: avoids double-sending the same choice.
        byGroup[group].forEach((other) => {
          other.disabled = true;
        });
        btn.classList.add("chosen");
        btn.setAttribute("aria-pressed", "true");
        entry.chosen = (entry.chosen || []).concat([payload]);
        saveHistory();
        send(payload, label ? title + ": " + label : title);
        inputEl.focus();
      });
      container.appendChild(btn);
    });
    // Drawn again from history: the groups already answered stay answered.
    Object.keys(byGroup).forEach((group) => {
      const picked = byGroup[group].filter((btn) => chosen.includes(btn.dataset.payload));
      if (!picked.length) return;
      byGroup[group].forEach((btn) => {
        btn.disabled = true;
      });
      picked.forEach((btn) => {
        btn.classList.add("chosen");
        btn.setAttribute("aria-pressed", "true");
      });
    });
  }

  let cardCount = 0;

  function renderCard(entry, card) {
    const article = el("article", "card");
    const titleId = "card-title-" + ++cardCount;
    article.setAttribute("aria-labelledby", titleId);
    if (entry.msg.image) {
      const img = makeImage(entry.msg.image, "card-image");
      if (img) article.appendChild(img);
    }
    const body = el("div", "card-body");
    const title = el("h2", "card-title", card.title);
    title.id = titleId;
    body.appendChild(title);
    if (card.categories) body.appendChild(el("p", "card-categories", card.categories));
    if (card.description) body.appendChild(el("p", "card-description", card.description));
    card.details.forEach((line) => body.appendChild(el("p", "card-details", line)));
    if (card.why) {
      const why = el("p", "card-why");
      why.appendChild(el("span", "card-why-label", "Why: "));
      appendFormatted(why, card.why);
      body.appendChild(why);
    }
    const actions = el("div", "card-actions");
    actions.setAttribute("role", "group");
    actions.setAttribute("aria-label", "Your opinion of " + card.title);
    renderButtons(actions, entry, true, card.title);
    body.appendChild(actions);
    article.appendChild(body);
    messagesEl.appendChild(article);
    lastCard = { entry: entry, el: article };
  }

  function renderBotEntry(entry) {
    const msg = entry.msg;
    const hasText = typeof msg.text === "string" && msg.text !== "";
    const hasButtons = Array.isArray(msg.buttons) && msg.buttons.length > 0;
    const card = parseCard(msg);
    if (card) {
      renderCard(entry, card);
      scrollToBottom();
      return;
    }
    lastCard = null;
    const img = msg.image ? makeImage(msg.image) : null;
    if (hasText || img) {
      const bubble = el("div", "msg bot");
      if (hasText) appendFormatted(bubble, msg.text);
      if (img) bubble.appendChild(img);
      messagesEl.appendChild(bubble);
    }
    if (hasButtons) {
      const group = el("div", "msg-buttons");
      group.setAttribute("role", "group");
      renderButtons(group, entry, false, "");
      messagesEl.appendChild(group);
    }
    scrollToBottom();
  }

  // Rasa's messages, from either channel, as {text, buttons, image}; null if nothing to show.
  function normalize(raw) {
    if (!raw || typeof raw !== "object") return null;
    const msg = {};
    if (typeof raw.text === "string" && raw.text !== "") msg.text = raw.text;
    const buttons = Array.isArray(raw.quick_replies) && raw.quick_replies.length ? raw.quick_replies : raw.buttons;
    if (Array.isArray(buttons)) {
      msg.buttons = buttons
        .filter((b) => b && (b.title !== undefined || b.payload !== undefined))
        .map((b) => ({ title: b.title, payload: b.payload }));
      if (!msg.buttons.length) delete msg.buttons;
    }
    const attachment = raw.attachment;
    if (typeof raw.image === "string") {
      msg.image = raw.image;
    } else if (attachment && attachment.type === "image" && attachment.payload && attachment.payload.src) {
      msg.image = String(attachment.payload.src);
    }
    return msg.text || msg.buttons || msg.image ? msg : null;
  }

  function addBotMessage(raw) {
    // After "delete my data", the bot tells the page to forget the transcript it keeps too;
    // the messages on screen stay until the page is left.
    if (raw && raw.forget_conversation) {
      history.length = 0;
      saveHistory();
      return;
    }
    const msg = normalize(raw);
    if (!msg) return;
    hideTyping();
    // Rasa's socket.io channel sends a message's image as a message of its own, right
    // after the text: it belongs on the card it follows.
    if (msg.image && !msg.text && !msg.buttons && lastCard && !lastCard.entry.msg.image) {
      const img = makeImage(msg.image, "card-image");
      lastCard.entry.msg.image = msg.image;
      saveHistory();
      if (img) lastCard.el.insertBefore(img, lastCard.el.firstChild);
      scrollToBottom();
      return;
    }
    renderBotEntry(remember({ who: "bot", msg: msg }));
  }

  function showError() {
    hideTyping();
    if (errorEl) return;
    errorEl = el("div", "msg bot error");
    errorEl.setAttribute("role", "alert");
    errorEl.appendChild(document.createTextNode("I can't reach the assistant right now — is "));
    errorEl.appendChild(el("code", "", "make run"));
    errorEl.appendChild(document.createTextNode(" still running?"));
    messagesEl.appendChild(errorEl);
    scrollToBottom();
  }

  function clearError() {
    if (errorEl) errorEl.remove();
    errorEl = null;
  }

  function showTyping() {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, REPLY_TIMEOUT_MS);
    if (typingEl) return;
    typingEl = el("div", "typing", "typing…");
    typingEl.setAttribute("aria-label", "The assistant is typing");
    messagesEl.appendChild(typingEl);
    scrollToBottom();
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    if (typingEl) typingEl.remove();
    typingEl = null;
  }

  // ---- talking to Rasa: socket.io, or REST when the client library is missing ----

  function socketTransport(rasaUrl) {
    const outbox = [];
    let confirmed = false;
    const socket = window.io(rasaUrl || window.location.origin, {
      path: SOCKET_PATH,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    document.documentElement.dataset.chatTransport = "socket.io";

    function flush() {
      while (confirmed && outbox.length) {
        socket.emit("user_uttered", { message: outbox.shift(), session_id: senderId });
      }
    }

    // Every (re)connection is a new socket: ask for our session again before talking.
    socket.on("connect", () => {
      confirmed = false;
      socket.emit("session_request", { session_id: senderId });
    });
    socket.on("session_confirm", (sessionId) => {
      const id = sessionId && typeof sessionId === "object" ? sessionId.session_id : sessionId;
      if (id !== senderId) console.warn("Rasa confirmed another session:", id);
      confirmed = true;
      clearError();
      document.documentElement.dataset.chatConnected = "true";
      flush();
    });
    socket.on("bot_uttered", addBotMessage);
    socket.on("disconnect", () => {
      confirmed = false;
      document.documentElement.dataset.chatConnected = "false";
    });
    socket.on("connect_error", (err) => {
      console.error("socket.io connection to Rasa failed:", err && err.message);
      showError();
    });

    return {
      deliver(message) {
        outbox.push(message);
        flush();
      },
    };
  }

  function restTransport(rasaUrl) {
    let queue = Promise.resolve(); // keeps requests (and replies) in order
    document.documentElement.dataset.chatTransport = "rest";

    async function post(message) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), REPLY_TIMEOUT_MS);
      try {
        const res = await fetch(rasaUrl + REST_PATH, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ sender: senderId, message: message }),
          signal: controller.signal,
        });
        if (!res.ok) throw new Error("Rasa HTTP " + res.status);
        const replies = await res.json();
        clearError();
        hideTyping();
        (Array.isArray(replies) ? replies : []).forEach(addBotMessage);
      } catch (err) {
        console.error("Rasa request failed:", err);
        showError();
      } finally {
        clearTimeout(timer);
      }
    }

    return {
      deliver(message) {
        queue = queue.then(() => post(message));
      },
    };
  }

  const transportPromise = rasaUrlPromise.then(
    (rasaUrl) => {
      if (typeof window.io === "function") return socketTransport(rasaUrl);
      console.warn("socket.io-client is not loaded (run `make setup`); using Rasa's REST channel.");
      return restTransport(rasaUrl);
    },
    (err) => {
      console.error("Cannot read /config.json:", err);
      showError();
      throw err;
    }
  );

  // Sends `message` to Rasa; shows `display` as a user bubble unless it is null.
  function send(message, display) {
    lastCard = null;
    if (display !== null) {
      remember({ who: "user", text: display });
      addUserBubble(display);
    }
    showTyping();
    transportPromise.then((transport) => transport.deliver(message), () => undefined);
  }

  // ---- wiring ----

  formEl.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = inputEl.value.trim();
    if (!text) return;
    inputEl.value = "";
    send(text, text);
  });

  newUserEl.addEventListener("click", () => {
    leaving = true;
    try {
      window.localStorage.removeItem(historyKey());
      window.localStorage.removeItem(SENDER_KEY);
    } catch (err) {
      /* storage unavailable: the reload alone gives a fresh in-memory id */
    }
    window.location.reload();
  });

  if (history.length) {
    // A returning page: draw the conversation so far (one announcement, not one per message).
    messagesEl.setAttribute("aria-busy", "true");
    history.forEach((entry) => {
      if (entry && entry.who === "user") addUserBubble(String(entry.text));
      else if (entry && entry.who === "bot" && entry.msg) renderBotEntry(entry);
    });
    messagesEl.removeAttribute("aria-busy");
    lastCard = null; // an image arriving now belongs to no card drawn from history
    document.documentElement.dataset.chatRestored = String(history.length);
    transportPromise.catch(() => undefined); // connect now, so the first message goes fast
  } else {
    // A new conversation: greet silently, so a returning user hears what the bot remembers.
    send(GREET_PAYLOAD, null);
  }
})();
