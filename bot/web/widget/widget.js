// The embeddable widget: one <script> tag on any page of the shop adds a floating launcher and a
// chat panel (in a shadow root, so the shop's CSS and ours never meet), and fills "Recommended
// for you" elements. Bundled by build.mjs after socket.io-client (`io`) and chat-core.js
// (`RecBotChat`); RECBOT_CSS and RECBOT_VERSION are set there too. docs/widget.md shows a shop.
//
//   <script src="https://bot.example/widget/1.0.0/recbot.js" data-token-url="/chat-token" async></script>
//
// Config: the script tag's data-* attributes, overridden by window.RecBotConfig (which may hold
// functions): server (default: where the script came from), token (a function returning a
// Promise of the signed-in user's token, or null) or tokenUrl (GET on the shop's own origin,
// answering {"token": ...|null}), title, open (start open), colors {accent, userBubble},
// strings {...: see STRINGS}, itemUrl ("/items/{id}": links in "Recommended for you").
//
// Identity: with a token, the chat speaks as the token's subject (the shop's user id) and a
// visitor's anonymous id from before signing in is merged into the account once
// (POST /api/users/{id}/merge; the server applies the consent rules). Without one, the visitor
// is an anonymous web-<uuid> kept in localStorage. When a signed-in user signs out, their
// transcript is removed from this browser, so the next person at it doesn't see it.
(function () {
  "use strict";

  const VISITOR_KEY = "recbot.visitorId";
  const USER_KEY = "recbot.user"; // the last signed-in user whose transcript this browser keeps
  const OPEN_KEY = "recbot.open";
  const HISTORY_KEY_PREFIX = "recbot.history.";
  const TOKEN_MARGIN_MS = 60000; // a token is fetched again this long before it expires
  const STRINGS = {
    launcher: "Chat with us",
    title: "Shopping assistant",
    close: "Close chat",
    inputLabel: "Message to the assistant",
    placeholder: "Ask for a recommendation…",
    send: "Send",
    unreachable: "I can't reach the assistant right now. Please try again in a moment.",
    typing: "typing…",
    typingLabel: "The assistant is typing",
    recommended: "Recommended for you",
  };
  const store = RecBotChat.store;

  if (window.RecBot && window.RecBot.version) return; // the tag is on the page twice

  // ---- config ----

  const script = document.currentScript;
  function readConfig() {
    const data = (script && script.dataset) || {};
    const given = window.RecBotConfig || {};
    const scriptOrigin = script && script.src ? new URL(script.src, window.location.href).origin : window.location.origin;
    return {
      server: String(given.server || data.server || scriptOrigin).replace(/\/+$/, ""),
      token: typeof given.token === "function" ? given.token : null,
      tokenUrl: given.tokenUrl || data.tokenUrl || null,
      title: given.title || data.title || null,
      open: given.open !== undefined ? Boolean(given.open) : data.open === "true",
      colors: Object.assign({ accent: data.accent, userBubble: data.userBubble }, given.colors || {}),
      strings: Object.assign({}, STRINGS, given.strings || {}),
      itemUrl: given.itemUrl || data.itemUrl || null,
    };
  }
  const config = readConfig();
  const strings = config.strings;
  if (config.title) strings.title = config.title;

  // ---- the signed-in user's token, from the shop ----

  let cached = null; // {token, expiresAt}

  async function fetchToken() {
    if (config.token) return config.token();
    if (!config.tokenUrl) return null;
    const res = await fetch(config.tokenUrl, { credentials: "same-origin", cache: "no-store" });
    if (res.status === 401 || res.status === 204) return null;
    if (!res.ok) throw new Error("token URL HTTP " + res.status);
    const body = await res.json();
    return body && typeof body.token === "string" ? body.token : null;
  }

  function expiryOf(token) {
    const exp = (RecBotChat.tokenClaims(token) || {}).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  }

  async function currentToken() {
    if (cached && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return cached.token;
    const token = await fetchToken();
    cached = token ? { token: token, expiresAt: expiryOf(token) } : null;
    return token;
  }

  async function api(path, options) {
    const res = await fetch(config.server + path, options);
    if (!res.ok) throw new Error(path.split("/").slice(0, 3).join("/") + " HTTP " + res.status);
    return res.json();
  }

  // Who this page talks as; merges the visitor's anonymous history into a fresh sign-in.
  async function resolveIdentity() {
    let token = null;
    let unknown = false; // the shop didn't answer: whoever was signed in may still be
    try {
      token = await currentToken();
    } catch (err) {
      unknown = true;
      console.error("recbot: cannot get the user's token:", err);
    }
    const user = token ? RecBotChat.tokenSubject(token) : null;
    const previous = store.get(USER_KEY);
    if (previous && previous !== user && !unknown) {
      store.remove(HISTORY_KEY_PREFIX + previous); // signed out: nothing of theirs for the next person
      store.remove(USER_KEY);
    }
    if (!user) {
      let visitor = store.get(VISITOR_KEY);
      if (!visitor) {
        visitor = RecBotChat.newAnonymousId();
        store.set(VISITOR_KEY, visitor);
      }
      return { senderId: visitor, token: null };
    }
    store.set(USER_KEY, user);
    const visitor = store.get(VISITOR_KEY);
    // The bot's conversation starts again under the account (the profile carries on): greet.
    const chatted = Boolean(visitor) && transcript(visitor).length > 0;
    if (!chatted) store.remove(VISITOR_KEY); // a visitor who never chatted has nothing to bring
    const merged = chatted ? await mergeVisitor(visitor, user, token) : false;
    return { senderId: user, token: currentToken, merged: merged };
  }

  function transcript(senderId) {
    return RecBotChat.transcript(HISTORY_KEY_PREFIX + senderId);
  }

  async function mergeVisitor(visitor, user, token) {
    try {
      await api("/api/users/" + encodeURIComponent(user) + "/merge", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
        body: JSON.stringify({ anonymous_id: visitor }),
      });
    } catch (err) {
      console.error("recbot: the visitor's history was not merged (tried again on the next page):", err);
      return false;
    }
    // The conversation so far goes on under the account, on screen too.
    const theirs = transcript(visitor);
    if (theirs.length) store.set(HISTORY_KEY_PREFIX + user, JSON.stringify(transcript(user).concat(theirs)));
    store.remove(HISTORY_KEY_PREFIX + visitor);
    store.remove(VISITOR_KEY);
    return true;
  }

  // ---- the launcher and the panel, in a shadow root ----

  function node(tag, attributes, text) {
    const created = document.createElement(tag);
    Object.keys(attributes || {}).forEach((name) => created.setAttribute(name, attributes[name]));
    if (text !== undefined) created.textContent = text;
    return created;
  }

  const host = node("recbot-widget", { "data-version": RECBOT_VERSION });
  const root = host.attachShadow({ mode: "open" });
  const style = node("style", {}, RECBOT_CSS);
  if (config.colors.accent) host.style.setProperty("--accent", config.colors.accent);
  if (config.colors.accent) host.style.setProperty("--user-bg", config.colors.userBubble || config.colors.accent);
  const launcher = node("button", { type: "button", class: "launcher pill-button", "aria-expanded": "false",
                                    "aria-controls": "recbot-panel" });
  launcher.appendChild(node("span", { "aria-hidden": "true", class: "launcher-icon" }, "💬"));
  launcher.appendChild(node("span", { class: "launcher-label" }, strings.launcher));
  const panel = node("section", { id: "recbot-panel", class: "panel", role: "dialog",
                                  "aria-labelledby": "recbot-title", hidden: "" });
  const header = node("header", { class: "panel-header" });
  header.appendChild(node("h2", { id: "recbot-title" }, strings.title));
  const closeButton = node("button", { type: "button", class: "close", "aria-label": strings.close }, "✕");
  header.appendChild(closeButton);
  const messages = node("div", { class: "chat-messages", role: "log", "aria-live": "polite",
                                 "aria-relevant": "additions", "aria-label": strings.title });
  const form = node("form", { class: "chat-form", autocomplete: "off" });
  const label = node("label", { for: "recbot-input", class: "visually-hidden" }, strings.inputLabel);
  const input = node("input", { id: "recbot-input", type: "text", maxlength: "2000", placeholder: strings.placeholder });
  form.append(label, input, node("button", { type: "submit" }, strings.send));
  panel.append(header, messages, form);
  root.append(style, launcher, panel);

  let chat = null;
  let identity = null;
  const identityPromise = resolveIdentity().then((resolved) => {
    identity = resolved;
    host.dataset.sender = resolved.senderId;
    host.dataset.signedIn = String(Boolean(resolved.token));
    return resolved;
  });

  function startChat() {
    if (chat) return;
    chat = "starting";
    identityPromise.then((resolved) => {
      chat = RecBotChat.create({
        messagesEl: messages,
        formEl: form,
        inputEl: input,
        io: io,
        rasaUrl: api("/config.json", { cache: "no-store" }).then((cfg) => String(cfg.rasa_url || "").replace(/\/+$/, "")),
        identity: resolved,
        historyKeyPrefix: HISTORY_KEY_PREFIX,
        status: host,
        texts: { unreachable: [strings.unreachable], typing: strings.typing, typingLabel: strings.typingLabel },
        greet: Boolean(resolved.merged),
      });
    });
  }

  function setOpen(open, focus) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    host.dataset.open = String(open);
    store.set(OPEN_KEY, open ? "true" : "false");
    if (open) {
      startChat();
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", () => setOpen(panel.hidden, true));
  closeButton.addEventListener("click", () => setOpen(false, true));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false, true);
  });

  // ---- "Recommended for you": <div data-recbot-recommendations data-n="4"></div> ----

  function itemHref(id) {
    return config.itemUrl ? config.itemUrl.replace("{id}", encodeURIComponent(id)) : null;
  }

  async function fillRecommendations(element) {
    if (!identity.token) {
      element.hidden = true; // anonymous visitors: the shop shows its own bestsellers there
      return;
    }
    const n = Math.min(Math.max(parseInt(element.dataset.n || "4", 10) || 4, 1), 50);
    const token = await identity.token();
    const picks = await api("/api/users/" + encodeURIComponent(identity.senderId) + "/recommendations?n=" + n, {
      headers: { Authorization: "Bearer " + token },
      cache: "no-store",
    });
    const heading = node("h2", { class: "recbot-recommendations-title" }, strings.recommended);
    const list = node("ul", { class: "recbot-recommendations-list" });
    picks.forEach((pick) => {
      const item = node("li", { class: "recbot-recommendation", "data-item-id": pick.id });
      const href = itemHref(pick.id);
      const title = href ? node("a", { href: href }, pick.title) : node("span", {}, pick.title);
      item.appendChild(title);
      if (pick.categories && pick.categories.length) {
        item.appendChild(node("span", { class: "recbot-recommendation-categories" }, " · " + pick.categories.join(", ")));
      }
      if (pick.reasons && pick.reasons.length) {
        item.appendChild(node("p", { class: "recbot-recommendation-reason" }, pick.reasons[0]));
      }
      list.appendChild(item);
    });
    element.replaceChildren(heading, list);
    element.hidden = false;
    element.dataset.recbotFilled = String(picks.length);
  }

  function fillAllRecommendations() {
    document.querySelectorAll("[data-recbot-recommendations]").forEach((element) => {
      fillRecommendations(element).catch((err) => console.error("recbot: recommendations failed:", err));
    });
  }

  function mount() {
    document.body.appendChild(host);
    identityPromise.then(fillAllRecommendations);
    const wasOpen = store.get(OPEN_KEY);
    if (wasOpen === "true" || (wasOpen === null && config.open)) setOpen(true, false);
  }

  window.RecBot = {
    version: RECBOT_VERSION,
    open: () => setOpen(true, true),
    close: () => setOpen(false, false),
  };
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
