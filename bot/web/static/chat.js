// Chat page for the movie bot. Talks straight to Rasa's REST channel:
//   POST {rasa_url}/webhooks/rest/webhook  {"sender": id, "message": text}
// Plain JS, no framework, no build step. All message/title text is set through
// textContent or text nodes, never parsed as HTML, so nothing said can inject markup.
(function () {
  "use strict";

  const SENDER_KEY = "moviebot.senderId";
  const REQUEST_TIMEOUT_MS = 60000; // first reply can be slow while Rasa warms up
  const GREET_PAYLOAD = "/greet";

  const messagesEl = document.getElementById("chat-messages");
  const formEl = document.getElementById("chat-form");
  const inputEl = document.getElementById("chat-input");
  const newUserEl = document.getElementById("chat-new-user");

  let memorySenderId = null; // used only when localStorage is unavailable
  let queue = Promise.resolve(); // keeps requests (and replies) in order
  let typingEl = null;

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

  // Appends text to parent, turning *bold* / **bold** into <strong>.
  // The markers must hug non-space characters, so "2 * 3 * 4" stays as is.
  function appendFormatted(parent, text) {
    const re = /\*\*(\S(?:[^*\n]*\S)?)\*\*|\*(\S(?:[^*\n]*\S)?)\*/g;
    let last = 0;
    let m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const strong = document.createElement("strong");
      strong.textContent = m[1] !== undefined ? m[1] : m[2];
      parent.appendChild(strong);
      last = re.lastIndex;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function addBubble(kind) {
    const div = document.createElement("div");
    div.className = "msg " + kind;
    messagesEl.appendChild(div);
    return div;
  }

  function addUserBubble(text) {
    addBubble("user").textContent = text;
    scrollToBottom();
  }

  function safeImageUrl(src) {
    try {
      const url = new URL(String(src), window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  function addBotMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    const hasText = typeof msg.text === "string" && msg.text !== "";
    const imageUrl = msg.image ? safeImageUrl(msg.image) : null;

    if (hasText || imageUrl) {
      const bubble = addBubble("bot");
      if (hasText) appendFormatted(bubble, msg.text);
      if (imageUrl) {
        const img = document.createElement("img");
        img.src = imageUrl;
        img.alt = "";
        img.loading = "lazy";
        img.addEventListener("load", scrollToBottom);
        bubble.appendChild(img);
      }
    }

    if (Array.isArray(msg.buttons) && msg.buttons.length > 0) {
      const group = document.createElement("div");
      group.className = "msg-buttons";
      msg.buttons.forEach((b) => {
        if (!b || (b.title === undefined && b.payload === undefined)) return;
        const title = String(b.title !== undefined ? b.title : b.payload);
        const payload = String(b.payload !== undefined ? b.payload : b.title);
        const btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = title;
        btn.addEventListener("click", () => {
          // One answer per button group: avoids double-sending the same choice.
          group.querySelectorAll("button").forEach((other) => { other.disabled = true; });
          btn.classList.add("chosen");
          send(payload, title);
          inputEl.focus();
        });
        group.appendChild(btn);
      });
      messagesEl.appendChild(group);
    }
    scrollToBottom();
  }

  function addErrorBubble() {
    const bubble = addBubble("bot error");
    bubble.appendChild(document.createTextNode("I can't reach the assistant right now — is "));
    const code = document.createElement("code");
    code.textContent = "make run";
    bubble.appendChild(code);
    bubble.appendChild(document.createTextNode(" still running?"));
    scrollToBottom();
  }

  function showTyping() {
    if (typingEl) return;
    typingEl = document.createElement("div");
    typingEl.className = "typing";
    typingEl.textContent = "typing…";
    typingEl.setAttribute("aria-label", "The assistant is typing");
    messagesEl.appendChild(typingEl);
    scrollToBottom();
  }

  function hideTyping() {
    if (typingEl) typingEl.remove();
    typingEl = null;
  }

  // ---- talking to Rasa ----

  async function deliver(message) {
    showTyping();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const rasaUrl = await rasaUrlPromise;
      const res = await fetch(rasaUrl + "/webhooks/rest/webhook", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: getSenderId(), message: message }),
        signal: controller.signal,
      });
      if (!res.ok) throw new Error("Rasa HTTP " + res.status);
      const replies = await res.json();
      hideTyping();
      (Array.isArray(replies) ? replies : []).forEach(addBotMessage);
    } catch (err) {
      console.error("Rasa request failed:", err);
      hideTyping();
      addErrorBubble();
    } finally {
      clearTimeout(timer);
    }
  }

  // Sends `message` to Rasa; shows `display` as a user bubble unless it is null.
  function send(message, display) {
    if (display !== null) addUserBubble(display);
    queue = queue.then(() => deliver(message));
    return queue;
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
    try {
      window.localStorage.removeItem(SENDER_KEY);
    } catch (err) {
      /* storage unavailable: the reload alone gives a fresh in-memory id */
    }
    window.location.reload();
  });

  // Greet silently so a returning user hears what the bot remembers about them.
  send(GREET_PAYLOAD, null);
})();
