// Support agents' console (served at /agent): the handoff queue, a conversation's brief,
// replies to the user and the return to the bot, over /api/agent/... (bot/web/agents.py).
//
// The agent's token stays in sessionStorage (this tab only) and goes out as
// "Authorization: Bearer <token>". The queue and the open brief are polled every 2 s; a
// part of the page is drawn again only when its data changed, so reading and typing are
// not disturbed. Plain JS, no framework; all text goes in through textContent.
(function () {
  "use strict";

  const POLL_MS = 2000;
  const storage = window.Staff.storage("agentToken"); // staff.js, loaded before this file

  const $ = (id) => document.getElementById(id);
  const errorEl = $("error");
  const tokenEl = $("token");
  const queueEl = $("queue");
  const transcriptEl = $("transcript");
  const replyFormEl = $("reply-form");
  const replyTextEl = $("reply-text");
  const replySendEl = $("reply-send");
  const takeEl = $("take");
  const returnEl = $("return-to-bot");

  let token = null;
  let me = null; // the signed-in agent's name
  let session = 0; // bumped on sign-in/out: answers from an older session are dropped
  let pollTimer = null;
  let queue = [];
  let queueKey = null; // what the queue shows now, as JSON
  let openId = null; // the handoff shown in #detail, and its last brief
  let brief = null;
  let shown = {}; // what each part of #detail shows now, as JSON
  let shownTurns = []; // each turn in #transcript, as JSON
  let busy = false; // a take, reply or return is under way
  let errorFromPoll = false;

  // ---- helpers ----

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function showError(message, fromPoll) {
    errorEl.textContent = message;
    errorEl.hidden = false;
    errorFromPoll = Boolean(fromPoll);
  }

  // A successful poll clears only the errors of earlier polls, not an action's error.
  function clearError(onlyPollErrors) {
    if (onlyPollErrors && !errorFromPoll) return;
    errorEl.textContent = "";
    errorEl.hidden = true;
  }

  const shortId = (senderId) => String(senderId || "").slice(0, 8);

  function ago(iso) {
    const seconds = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (!isFinite(seconds) || seconds < 60) return "just now";
    if (seconds < 3600) return Math.floor(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.floor(seconds / 3600) + " h ago";
    return Math.floor(seconds / 86400) + " d ago";
  }

  const clock = (iso) => (iso && !isNaN(new Date(iso)) ? new Date(iso).toLocaleString() : "");

  // With the signed-in token unless another is given (signing in tries a candidate first).
  const api = (path, method, body, withToken) =>
    window.Staff.request(path, withToken || token, { method: method, body: body });

  // An API call failed: a 401 means the token is no longer good, so back to sign-in.
  function failed(err, fromPoll) {
    if (err.status === 401) signOut();
    showError(err.message || String(err), fromPoll && err.status !== 401);
  }

  // ---- signing in and out ----

  async function signIn(candidate) {
    const mine = ++session;
    try {
      const who = await api("/api/agent/me", "GET", undefined, candidate);
      if (mine !== session) return;
      token = candidate;
      me = who.name;
      storage(candidate);
      clearError();
      $("agent-name").textContent = me;
      $("whoami").hidden = $("console-view").hidden = false;
      $("sign-in-view").hidden = true;
      poll(mine);
    } catch (err) {
      if (mine !== session) return;
      if (err.status === 401) storage(null);
      showError(err.message);
      tokenEl.focus();
    }
  }

  function signOut() {
    session++;
    clearTimeout(pollTimer);
    token = me = queueKey = null;
    storage(null);
    closeDetail();
    queueEl.replaceChildren();
    $("agent-name").textContent = tokenEl.value = "";
    $("whoami").hidden = $("console-view").hidden = true;
    $("sign-in-view").hidden = false;
    clearError();
    tokenEl.focus();
  }

  // ---- polling: the queue, and the open brief ----

  async function poll(mine) {
    clearTimeout(pollTimer);
    await Promise.all([loadQueue(), loadBrief()]);
    if (mine === session) pollTimer = setTimeout(() => poll(mine), POLL_MS);
  }

  async function loadQueue() {
    const mine = session;
    try {
      const list = await api("/api/agent/handoffs");
      if (mine !== session) return;
      clearError(true);
      renderQueue(Array.isArray(list) ? list : []);
    } catch (err) {
      if (mine === session) failed(err, true);
    }
  }

  async function loadBrief() {
    const mine = session;
    const id = openId;
    if (id === null) return;
    try {
      const data = await api("/api/agent/handoffs/" + encodeURIComponent(id));
      if (mine === session && id === openId) renderBrief(data);
    } catch (err) {
      if (mine === session && id === openId) failed(err, true);
    }
  }

  // ---- the queue ----

  function renderQueue(list) {
    queue = list;
    const key = JSON.stringify([list, openId]);
    if (key === queueKey) { // same data: only the "… ago" move on (a redraw would lose focus)
      queueEl.querySelectorAll(".handoff").forEach((li) => {
        const h = list.find((x) => String(x.id) === li.dataset.id);
        if (h) li.querySelector(".handoff-age").textContent = ago(h.requested_at);
      });
      return;
    }
    queueKey = key;
    const focused = document.activeElement && document.activeElement.closest(".handoff");
    const groups = [["Waiting", "waiting", "No one is waiting."], ["Active", "active", "No active conversations."]];
    queueEl.replaceChildren(...groups.map(([title, status, empty]) => {
      const section = el("section", "queue-group");
      const heading = section.appendChild(el("h2", "", title));
      heading.id = "queue-" + status;
      section.setAttribute("aria-labelledby", heading.id);
      const items = list.filter((h) => h.status === status);
      if (!items.length) section.appendChild(el("p", "queue-empty", empty));
      else section.appendChild(el("ul", "handoffs")).append(...items.map(queueItem));
      return section;
    }));
    const again = focused && queueEl.querySelector('.handoff[data-id="' + CSS.escape(focused.dataset.id) + '"] button');
    if (again) again.focus();
  }

  function queueItem(h) {
    const li = el("li", "handoff");
    li.dataset.id = String(h.id);
    li.dataset.status = h.status;
    const button = li.appendChild(el("button", "handoff-open"));
    button.type = "button";
    button.title = h.sender_id;
    if (h.id === openId) {
      li.classList.add("selected");
      button.setAttribute("aria-current", "true");
    }
    const top = button.appendChild(el("span", "handoff-top"));
    top.append(el("span", "handoff-sender", shortId(h.sender_id)), el("span", "handoff-age", ago(h.requested_at)));
    button.append(el("span", "handoff-reason", h.reason),
      el("span", "handoff-meta", h.channel + " · " + (h.agent ? "with " + h.agent : "nobody yet")));
    return li;
  }

  queueEl.addEventListener("click", (event) => {
    const li = event.target.closest(".handoff");
    if (li) openHandoff(Number(li.dataset.id));
  });

  // ---- the open handoff ----

  function closeDetail() {
    openId = brief = null;
    shown = {};
    shownTurns = [];
    replyTextEl.value = "";
    transcriptEl.replaceChildren();
    $("detail-body").hidden = true;
    $("detail-empty").hidden = false;
  }

  function openHandoff(id) {
    if (id === openId) return;
    closeDetail();
    openId = id;
    takeEl.hidden = returnEl.hidden = true; // until its brief says what it is
    replyTextEl.disabled = replySendEl.disabled = true;
    $("detail-status").textContent = "loading…";
    $("detail-empty").hidden = true;
    $("detail-body").hidden = false;
    renderQueue(queue);
    loadBrief();
  }

  // Whether part `name` of the brief changed since it was drawn.
  function changed(name, data) {
    const json = JSON.stringify(data);
    if (shown[name] === json) return false;
    shown[name] = json;
    return true;
  }

  function renderBrief(data) {
    brief = data;
    if (changed("handoff", [data.handoff, busy])) renderHeader(data.handoff);
    if (changed("profile", data.profile)) renderProfile(data.profile || {});
    if (changed("recent", [data.recent_recommendations, data.recent_feedback])) {
      renderEvents($("recent-recommendations"), data.recent_recommendations, "Nothing shown yet.");
      renderEvents($("recent-feedback"), data.recent_feedback, "No feedback yet.");
    }
    if (changed("transcript", data.transcript)) renderTranscript(data.transcript || []);
  }

  function renderHeader(h) {
    $("detail-sender").textContent = "User " + shortId(h.sender_id);
    $("detail-sender").title = h.sender_id;
    $("detail-channel").textContent = h.channel;
    $("detail-reason").textContent = h.reason;
    const status = $("detail-status");
    status.textContent = h.status + (h.agent ? (h.status === "closed" ? " by " : " · ") + h.agent : "");
    status.dataset.status = h.status;
    takeEl.hidden = h.status !== "waiting";
    returnEl.hidden = !(h.status === "waiting" || (h.status === "active" && h.agent === me));
    takeEl.disabled = returnEl.disabled = busy;
    const closed = h.status === "closed";
    replyTextEl.disabled = closed || !h.reachable;
    replySendEl.disabled = replyTextEl.disabled || busy;
    const note = $("reply-note");
    note.textContent = closed ? "This conversation is back with the bot."
      : !h.reachable ? "This user's channel can't receive replies"
      : h.status === "active" && h.agent !== me ? h.agent + " is talking with this user." : "";
    note.hidden = !note.textContent;
  }

  function renderProfile(p) {
    const lines = [];
    if (!p.known) lines.push("New user: nothing stored about them.");
    lines.push("Consent: " + (p.consent === true ? "given (remembered)" : p.consent === false ? "declined" : "never asked"));
    if (p.known) lines.push("Onboarding: " + (p.onboarded ? "done" : "not done"));
    [["Likes categories", p.categories], ["Avoids", p.avoid_categories], ["Loved", p.loved],
      ["Liked", p.liked], ["Disliked", p.disliked], ["Learned", p.learned_categories],
      ["Usually active (UTC)", (p.active_hours_utc || []).map((hour) => String(hour).padStart(2, "0") + ":00")],
    ].forEach(([label, values]) => {
      if (Array.isArray(values) && values.length) lines.push(label + ": " + values.join(", "));
    });
    if (p.segment) lines.push("Segment: " + p.segment);
    if (p.experiment) lines.push("Experiment: " + p.experiment + " (group " + p.variant + ")");
    $("profile-lines").replaceChildren(...lines.map((line) => el("li", "", line)));
  }

  function renderEvents(ul, events, empty) {
    const items = (Array.isArray(events) ? events : []).map((e) => {
      const li = el("li", "event");
      li.append(el("span", "event-title", e.title || e.item_id || "(unknown item)"), el("span", "event-type", e.type));
      li.title = clock(e.at);
      return li;
    });
    ul.replaceChildren(...(items.length ? items : [el("li", "muted", empty)]));
  }

  function turnNode(t) {
    const from = ["user", "bot", "agent"].includes(t.from) ? t.from : "bot";
    const turn = el("div", "turn " + from);
    if (from === "agent") turn.appendChild(el("span", "turn-agent", t.agent || "agent"));
    let text = typeof t.text === "string" ? t.text : "";
    const signature = (t.agent || "") + " (support): "; // how the user saw it; the label says who
    if (from === "agent" && text.startsWith(signature)) text = text.slice(signature.length);
    if (from === "bot") text = text.replace(/\*\*(.+?)\*\*/g, "$1"); // the widget's bold titles
    turn.appendChild(el("span", text ? "turn-text" : "turn-text muted", text || "(no text)"));
    if (t.at) turn.title = clock(t.at);
    return turn;
  }

  // The brief has the last N turns: keep the turns still there and add only the new ones,
  // so that screen readers (aria-live) hear just what is new.
  function renderTranscript(turns) {
    const keys = turns.map((t) => JSON.stringify(t));
    const old = shownTurns;
    let overlap = Math.min(old.length, keys.length);
    while (overlap > 0 && old.slice(old.length - overlap).join("\n") !== keys.slice(0, overlap).join("\n")) overlap--;
    if (overlap === 0 || transcriptEl.querySelectorAll(".turn").length !== old.length) {
      transcriptEl.replaceChildren(...turns.map(turnNode));
      if (!turns.length) transcriptEl.appendChild(el("p", "muted", "No conversation recorded."));
    } else {
      for (let i = 0; i < old.length - overlap; i++) transcriptEl.firstElementChild.remove();
      transcriptEl.append(...turns.slice(overlap).map(turnNode));
    }
    shownTurns = keys;
    transcriptEl.scrollTop = transcriptEl.scrollHeight;
  }

  // ---- actions: take, reply, return to bot ----

  async function act(path, body) {
    const id = openId;
    if (id === null || busy) throw new Error("busy");
    busy = true;
    if (brief) renderBrief(brief);
    try {
      const handoff = await api("/api/agent/handoffs/" + encodeURIComponent(id) + path, "POST", body);
      if (id === openId && brief) brief = Object.assign({}, brief, { handoff: handoff });
      clearError();
      return handoff;
    } catch (err) {
      failed(err, false);
      throw err;
    } finally {
      busy = false;
      if (id === openId && brief) renderBrief(brief);
      loadQueue();
      loadBrief();
    }
  }

  const ignore = () => undefined;
  takeEl.addEventListener("click", () => act("/take").catch(ignore));
  returnEl.addEventListener("click", () => act("/return").catch(ignore));

  replyFormEl.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = replyTextEl.value.trim();
    if (!text || replyTextEl.disabled) return;
    act("/messages", { text: text }).then(() => {
      if (replyTextEl.value.trim() === text) replyTextEl.value = "";
      replyTextEl.focus();
    }, ignore);
  });

  replyTextEl.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      replyFormEl.requestSubmit();
    }
  });

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const candidate = tokenEl.value.trim();
    if (candidate) signIn(candidate);
  });

  $("sign-out").addEventListener("click", signOut);

  const saved = storage();
  if (saved) signIn(saved);
})();
