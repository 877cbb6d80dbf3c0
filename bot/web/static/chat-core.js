// The conversation itself, shared by the chat page (/, chat.js) and the embeddable widget
// (widget.js, bundled with this file and socket.io-client by build.mjs): it draws Rasa's
// messages into a log element, sends what is typed or clicked, keeps the transcript so a page
// load draws it again, and talks to Rasa over socket.io (credentials.yml: the socketio channel
// of rasa_plugins/socketio_channel.py), or over REST when no socket.io client is loaded.
//
//   connect (auth: {token} for a signed-in user) → emit "session_request" {session_id}
//   → receive "session_confirm" (the sender Rasa settled on: the token's subject, or our id)
//   emit "user_uttered" {message}  → receive "bot_uttered" messages:
//     {text}, {text, quick_replies: [{title, payload}]}, {attachment: {type: "image", payload: {src}}}
//
// Who is talking is the caller's: `identity` is {senderId, token} where token is null for an
// anonymous visitor (senderId is then their web-<uuid>) or a function returning a fresh user
// token (a JWT whose subject is senderId), asked again at each (re)connection since tokens
// live an hour. All text is set through textContent or text nodes, never parsed as HTML, so
// nothing said can inject markup.
var RecBotChat = (function () {
  "use strict";

  const HISTORY_LIMIT = 300; // entries kept per user; older ones are dropped
  const REPLY_TIMEOUT_MS = 60000; // first reply can be slow while Rasa warms up
  const GREET_PAYLOAD = "/greet";
  const REST_PATH = "/webhooks/rest/webhook";
  const SOCKET_PATH = "/socket.io"; // credentials.yml: socketio_path (Rasa's default)

  function newAnonymousId() {
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

  // localStorage that degrades to memory (private mode, storage disabled or full).
  const memory = {};
  const store = {
    get(key) {
      try {
        return window.localStorage.getItem(key);
      } catch (err) {
        return Object.prototype.hasOwnProperty.call(memory, key) ? memory[key] : null;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, value);
      } catch (err) {
        memory[key] = value;
      }
    },
    remove(key) {
      delete memory[key];
      try {
        window.localStorage.removeItem(key);
      } catch (err) {
        /* nothing stored there */
      }
    },
  };

  // A JWT's claims, read without checking them (the server checks; the page only names the
  // transcript and knows when to ask for a new token). null if the token is not a JWT.
  function tokenClaims(token) {
    try {
      const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const json = decodeURIComponent(Array.from(window.atob(part), (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""));
      const claims = JSON.parse(json);
      return claims && typeof claims === "object" ? claims : null;
    } catch (err) {
      return null;
    }
  }

  function tokenSubject(token) {
    const sub = (tokenClaims(token) || {}).sub;
    return typeof sub === "string" && sub ? sub : null;
  }

  // A transcript kept in localStorage ([] when none, or unreadable).
  function transcript(key) {
    try {
      const entries = JSON.parse(store.get(key) || "[]");
      return Array.isArray(entries) ? entries : [];
    } catch (err) {
      return [];
    }
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
    return { title: head[1], categories: head[2] || "", description: rest[0] || "", details: rest.slice(1), why: why };
  }

  // Buttons that answer the same question: one choice per group (like vs. not for me).
  function buttonGroupOf(payload, isCard) {
    if (!isCard) return "all";
    if (payload.startsWith("/like") || payload.startsWith("/dislike") || payload.startsWith("/not_interested")) {
      return "feedback";
    }
    return payload; // "more like this" stands alone
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

  // Starts a conversation in `options.messagesEl`, fed by `options.formEl`/`options.inputEl`:
  //   rasaUrl: Promise<string> where Rasa runs;  io: socket.io-client's io() or null (REST);
  //   identity: {senderId, token: null | () => Promise<string|null>};
  //   historyKeyPrefix: the transcript's localStorage key is this + senderId;
  //   status: an element whose dataset tells tests and styles chatTransport/chatConnected;
  //   texts: {unreachable, typing};  greet: greet even when a transcript is drawn (a new
  //   conversation under another id: the visitor just signed in).
  // Returns {send(message, display), forget()} (forget: drop the transcript, stop saving it).
  function create(options) {
    const messagesEl = options.messagesEl;
    const inputEl = options.inputEl;
    const identity = options.identity;
    const status = options.status;
    const texts = options.texts;
    const historyKey = options.historyKeyPrefix + identity.senderId;
    let typingEl = null;
    let typingTimer = null;
    let errorEl = null;
    let lastCard = null; // {entry, el}: where an image that follows a card's text goes
    let leaving = false; // the page forgot this user: a late reply must not write the transcript back
    let cardCount = 0;

    // Entries: {who: "user", text} or {who: "bot", msg: {text, buttons, image}, chosen: [payloads]}.
    const history = transcript(historyKey);

    function saveHistory() {
      if (leaving) return;
      if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
      store.set(historyKey, JSON.stringify(history));
    }

    function remember(entry) {
      history.push(entry);
      saveHistory();
      return entry;
    }

    function scrollToBottom() {
      messagesEl.scrollTop = messagesEl.scrollHeight;
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

    function renderButtons(container, entry, isCard, label) {
      const chosen = entry.chosen || [];
      const byGroup = {};
      entry.msg.buttons.forEach((b) => {
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
      const card = parseCard(msg);
      if (card) {
        renderCard(entry, card);
        scrollToBottom();
        return;
      }
      lastCard = null;
      const img = msg.image ? makeImage(msg.image) : null;
      if ((typeof msg.text === "string" && msg.text !== "") || img) {
        const bubble = el("div", "msg bot");
        if (msg.text) appendFormatted(bubble, msg.text);
        if (img) bubble.appendChild(img);
        messagesEl.appendChild(bubble);
      }
      if (Array.isArray(msg.buttons) && msg.buttons.length) {
        const group = el("div", "msg-buttons");
        group.setAttribute("role", "group");
        renderButtons(group, entry, false, "");
        messagesEl.appendChild(group);
      }
      scrollToBottom();
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
      texts.unreachable.forEach((part) => {
        errorEl.appendChild(part.code ? el("code", "", part.code) : document.createTextNode(part));
      });
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
      typingEl = el("div", "typing", texts.typing);
      typingEl.setAttribute("aria-label", texts.typingLabel);
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
      const socketOptions = { path: SOCKET_PATH, transports: ["websocket", "polling"], tryAllTransports: true };
      if (identity.token) {
        // Asked at each (re)connection: the token may have expired since the last one.
        socketOptions.auth = (callback) => {
          identity.token().then((token) => callback(token ? { token: token } : {}), () => callback({}));
        };
      }
      const socket = options.io(rasaUrl || window.location.origin, socketOptions);
      status.dataset.chatTransport = "socket.io";

      function flush() {
        while (confirmed && outbox.length) {
          socket.emit("user_uttered", { message: outbox.shift(), session_id: identity.senderId });
        }
      }

      // Every (re)connection is a new socket: ask for our session again before talking.
      socket.on("connect", () => {
        confirmed = false;
        socket.emit("session_request", { session_id: identity.senderId });
      });
      socket.on("session_confirm", (sessionId) => {
        const id = sessionId && typeof sessionId === "object" ? sessionId.session_id : sessionId;
        if (id !== identity.senderId) console.warn("Rasa confirmed another session:", id);
        confirmed = true;
        clearError();
        status.dataset.chatConnected = "true";
        flush();
      });
      socket.on("bot_uttered", addBotMessage);
      socket.on("disconnect", () => {
        confirmed = false;
        status.dataset.chatConnected = "false";
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
      status.dataset.chatTransport = "rest";

      async function post(message) {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), REPLY_TIMEOUT_MS);
        try {
          const headers = { "Content-Type": "application/json" };
          const token = identity.token ? await identity.token() : null;
          if (token) headers.Authorization = "Bearer " + token;
          const res = await fetch(rasaUrl + REST_PATH, {
            method: "POST",
            headers: headers,
            body: JSON.stringify({ sender: identity.senderId, message: message }),
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

    const transportPromise = options.rasaUrl.then(
      (rasaUrl) => {
        if (typeof options.io === "function") return socketTransport(rasaUrl);
        console.warn("socket.io-client is not loaded; using Rasa's REST channel.");
        return restTransport(rasaUrl);
      },
      (err) => {
        console.error("Cannot tell where Rasa runs:", err);
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

    options.formEl.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = inputEl.value.trim();
      if (!text) return;
      inputEl.value = "";
      send(text, text);
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
      status.dataset.chatRestored = String(history.length);
      transportPromise.catch(() => undefined); // connect now, so the first message goes fast
      if (options.greet) send(GREET_PAYLOAD, null);
    } else {
      // A new conversation: greet silently, so a returning user hears what the bot remembers.
      send(GREET_PAYLOAD, null);
    }

    return {
      send: send,
      forget() {
        leaving = true;
        store.remove(historyKey);
      },
    };
  }

  return { create: create, newAnonymousId: newAnonymousId, tokenClaims: tokenClaims, tokenSubject: tokenSubject,
           transcript: transcript, store: store };
})();
