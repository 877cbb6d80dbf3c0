// Analytics (/analytics): signs in with the operator's API key (kept in sessionStorage, this
// tab only), reads /api/analytics and draws its numbers as plain SVG charts and tables (no
// chart library: the page works offline like the others).
(function () {
  "use strict";

  const SVG = "http://www.w3.org/2000/svg";
  const RATES = [["click", "click-through"], ["like", "like"], ["any", "any outcome"]];
  const $ = (id) => document.getElementById(id);
  const storage = window.Staff.storage("analytics-key"); // staff.js, loaded before this file
  let key = null;

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  async function show(candidate) {
    try {
      const data = await window.Staff.request("/api/analytics?days=" + $("days").value, candidate);
      key = candidate;
      storage(candidate);
      showError("");
      $("sign-in-view").hidden = true;
      $("analytics-view").hidden = $("whoami").hidden = false;
      draw(data);
    } catch (err) {
      if (err.status === 401) signOut();
      showError(err.message);
    }
  }

  function signOut() {
    key = null;
    storage(null);
    $("key").value = "";
    $("analytics-view").hidden = $("whoami").hidden = true;
    $("sign-in-view").hidden = false;
  }

  // ---- drawing ----

  function node(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes || {})) element.setAttribute(name, value);
    if (text !== undefined) element.textContent = text;
    return element;
  }

  const percent = (value) => (100 * value).toFixed(value < 0.1 ? 2 : 1) + "%";

  // A frame of width x height with a y axis from 0 to top; returns the svg and a y scale.
  function frame(width, height, top, label, format) {
    const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label });
    const y = (value) => height - 24 - (height - 40) * (top ? value / top : 0);
    for (const fraction of [0, 0.5, 1]) {
      svg.append(node("line", { x1: 48, x2: width - 8, y1: y(top * fraction), y2: y(top * fraction), class: "axis" }));
      svg.append(node("text", { x: 4, y: y(top * fraction) + 4 }, format(top * fraction)));
    }
    return { svg, y };
  }

  function legend(names) {
    const element = document.createElement("div");
    element.className = "legend";
    names.forEach((name, k) => {
      const item = document.createElement("span");
      item.className = "series-" + k;
      item.textContent = name;
      element.append(item);
    });
    return element;
  }

  // Lines over the days, each with its 95% band; series: [[name, [{value, low, high}]]].
  function lineChart(days, series, label, counts) {
    const width = 960, height = 220;
    const highest = Math.max(0, ...series.flatMap(([, points]) => points.map((p) => p.high)));
    // Counts: an even whole number, so the middle line is whole too. Rates: at least 1%.
    const top = counts ? Math.max(2, 2 * Math.ceil(highest / 2)) : Math.max(0.01, highest * 1.1);
    const { svg, y } = frame(width, height, top, label, counts ? (v) => String(Math.round(v)) : percent);
    const x = (k) => 52 + (width - 64) * (days.length > 1 ? k / (days.length - 1) : 0.5);
    series.forEach(([, points], s) => {
      const band = points.map((p, k) => `${x(k)},${y(p.high)}`).concat(
        points.map((p, k) => `${x(k)},${y(p.low)}`).reverse()).join(" ");
      svg.append(node("polygon", { points: band, class: `band series-${s}` }));
      svg.append(node("polyline", { points: points.map((p, k) => `${x(k)},${y(p.value)}`).join(" "),
                                    class: `line series-${s}` }));
    });
    const step = Math.max(1, Math.ceil(days.length / 8));
    days.forEach((day, k) => {
      if (k % step === 0) svg.append(node("text", { x: x(k) - 14, y: height - 6 }, day.slice(5)));
    });
    const box = document.createElement("div");
    box.append(legend(series.map(([name]) => name)), svg);
    return box;
  }

  // Bars per group (segment, variant) for each rate, with 95% whiskers.
  function barChart(groups, label) {
    const width = 960, height = 220;
    const top = Math.max(0.01, 1.1 * Math.max(...groups.flatMap((g) => RATES.map(([rate]) => g.rates[rate].high))));
    const { svg, y } = frame(width, height, top, label, percent);
    const slot = (width - 64) / Math.max(1, groups.length);
    const bar = Math.min(40, (slot - 16) / RATES.length);
    groups.forEach((group, g) => {
      RATES.forEach(([rate], r) => {
        const value = group.rates[rate];
        const left = 56 + g * slot + r * bar;
        svg.append(node("rect", { x: left, y: y(value.value), width: bar - 4, height: y(0) - y(value.value),
                                  class: `series-${r}` }));
        const middle = left + (bar - 4) / 2;
        svg.append(node("line", { x1: middle, x2: middle, y1: y(value.low), y2: y(value.high), class: "whisker" }));
      });
      svg.append(node("text", { x: 56 + g * slot, y: height - 6 }, group.name.slice(0, 28)));
    });
    const box = document.createElement("div");
    box.append(legend(RATES.map(([, name]) => name)), svg);
    return box;
  }

  function table(element, groups) {
    const head = ["", "users", "items shown", ...RATES.map(([, name]) => name + " rate")];
    const rows = groups.map((g) => [g.name, g.users, g.shown,
      ...RATES.map(([rate]) => `${percent(g.rates[rate].value)} [${percent(g.rates[rate].low)}, ${percent(g.rates[rate].high)}]`)]);
    element.replaceChildren(...[head, ...rows].map((cells, r) => {
      const tr = document.createElement("tr");
      for (const cell of cells) {
        const td = document.createElement(r === 0 ? "th" : "td");
        td.textContent = String(cell);
        tr.append(td);
      }
      return tr;
    }));
  }

  function draw(data) {
    const days = data.days.map((d) => d.name);
    const written = days.map((day) => data.conversations[day] || 0);
    $("conversations-chart").replaceChildren(lineChart(days,
      [["users", written.map((n) => ({ value: n, low: n, high: n }))]],
      "Users who wrote to the bot, per day", true));
    $("rates-chart").replaceChildren(lineChart(days,
      RATES.slice(0, 2).map(([rate, name]) => [name, data.days.map((d) => d.rates[rate])]),
      "Click-through and like rates per day"));
    for (const [part, empty] of [["segments", data.segments.length === 0],
                                 ["variants", data.variants.length === 0]]) {
      $(part + "-empty").hidden = !empty;
      $(part + "-chart").replaceChildren(...(empty ? [] : [barChart(data[part], "Rates per " + part)]));
      table($(part + "-table"), data[part]);
      $(part + "-table").hidden = empty;
    }
    $("experiment-name").textContent = data.experiment ? "(" + data.experiment + ")" : "";
  }

  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    show($("key").value.trim());
  });
  $("sign-out").addEventListener("click", signOut);
  $("days").addEventListener("change", () => key && show(key));
  const saved = storage();
  if (saved) show(saved);
})();
