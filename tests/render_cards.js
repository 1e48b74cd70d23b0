// Renders Adaptive Cards with Microsoft's own renderer (npm `adaptivecards`) in a DOM made by jsdom,
// with Teams' limits in the host config (at most 6 actions), and prints what it reports.
// Input: a JSON file with a list of cards. Output (stdout): a JSON list, one entry per card, of the
// renderer's parse events, validation failures and render problems (an empty list: nothing to say).
"use strict";

const fs = require("fs");
const { JSDOM } = require("jsdom");

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
global.window = dom.window;
global.document = dom.window.document;
global.getComputedStyle = dom.window.getComputedStyle.bind(dom.window);
for (const name of Object.getOwnPropertyNames(dom.window)) {
  if (/^(HTML|SVG|Node|Element|Text|Document|Event|KeyboardEvent|MouseEvent|CustomEvent)/.test(name) &&
      global[name] === undefined) {
    global[name] = dom.window[name];
  }
}
// What the renderer logs is a warning about the card being rendered: kept with its problems.
let logged = [];
for (const level of ["log", "info", "warn", "error", "debug"]) {
  console[level] = (...parts) => logged.push(`console.${level}: ${parts.map(String).join(" ")}`);
}
// The package's lib/ is ES modules Node cannot load as they are; dist/ is its UMD bundle.
const AC = require("adaptivecards/dist/adaptivecards.js");

// Teams' host config, as far as it decides what is valid: interactive, at most 6 actions, the
// Teams text styles. (The full Teams config also sets colours and spacing, which do not affect validity.)
// Teams renders a Markdown subset; what matters here is only that text is processed, not how.
AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
  result.outputHtml = text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  result.didProcess = true;
};

const TEAMS = new AC.HostConfig({
  supportsInteractivity: true,
  fontFamily: "Segoe UI, system-ui, sans-serif",
  actions: { maxActions: 6, spacing: "default", buttonSpacing: 8, showCard: { actionMode: "inline" },
             actionsOrientation: "horizontal", actionAlignment: "stretch" },
  imageSizes: { small: 32, medium: 52, large: 100 },
});

function withoutCharts(node) {
  // Chart.* elements are a Teams extension the reference renderer does not know: their fallback is
  // what it (and any client without charts) shows, so the fallback is what is checked.
  if (Array.isArray(node)) return node.map(withoutCharts);
  if (node && typeof node === "object") {
    if (typeof node.type === "string" && node.type.startsWith("Chart.")) {
      return withoutCharts(node.fallback || { type: "ChartWithoutFallback" });
    }
    const copy = {};
    for (const [key, value] of Object.entries(node)) copy[key] = withoutCharts(value);
    return copy;
  }
  return node;
}

function check(json) {
  logged = [];
  const problems = [];
  const card = new AC.AdaptiveCard();
  card.hostConfig = TEAMS;
  const context = new AC.SerializationContext();
  card.parse(withoutCharts(json), context);
  for (let i = 0; i < context.eventCount; i++) {
    const event = context.getEventAt(i);
    problems.push(`parse: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  for (const event of card.validateProperties().validationEvents) {
    problems.push(`validation: ${AC.ValidationEvent[event.event]}: ${event.message}`);
  }
  if (!card.render()) problems.push("render: nothing was rendered");
  return problems.concat(logged);
}

const cards = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
process.stdout.write(JSON.stringify(cards.map((json) => {
  try {
    return check(json);
  } catch (error) {
    return [`exception: ${error && error.message}`];
  }
})));
