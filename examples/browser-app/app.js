// A patient app in the browser: connect to a health plan with SMART App Launch, show the
// member's coverage and claims, keep working after the access token expires.
//
// Everything SMART is in the npm package `cms-interop` (served here from /pkg/): discovery,
// PKCE, the code exchange, refresh ahead of expiry and after a 401, the rotated grant saved
// to sessionStorage before use, finding the patient however the payer says it, and the
// CARIN amounts of each claim. This file only renders.

import init, {
  SmartClient,
  Session,
  summarizeCoverage,
  summarizeEob,
} from "/pkg/cms_interop.js";

/** What the app asks for: the member's data, read and search, kept beyond an hour. */
const SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs";
/** sessionStorage keys: the grant (tokens), where it came from, a launch in progress. */
const GRANT_KEY = "browser-app-grant";
const CONFIG_KEY = "browser-app-config";
const PENDING_KEY = "browser-app-pending";
/** What `payer-server demo` registers. */
const DEFAULTS = { fhirBase: "http://127.0.0.1:8080/fhir", clientId: "demo-app" };
const REDIRECT_URI = new URL("/callback", location.origin).href;

const $ = (selector) => document.querySelector(selector);

function setStatus(text, isError = false) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

/** An element with text (never HTML: everything shown comes from the payer). */
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function formatMoney(money) {
  if (!money) return "—";
  const value = Number(money.value);
  if (!money.currency) return value.toFixed(2);
  return new Intl.NumberFormat("en-US", { style: "currency", currency: money.currency }).format(value);
}

/** The sum of a column, in cents (exact for money), per currency; `null` when mixed. */
function total(claims, column) {
  let cents = 0;
  let currency;
  for (const claim of claims) {
    const money = claim[column];
    if (!money) continue;
    if (currency !== undefined && money.currency !== currency) return null;
    currency = money.currency;
    cents += Math.round(Number(money.value) * 100);
  }
  return currency === undefined ? null : { value: (cents / 100).toFixed(2), currency };
}

function showConnectForm(message) {
  const config = { ...DEFAULTS, ...storedConfig() };
  const query = new URLSearchParams(location.search);
  $("#fhir-base").value = query.get("fhir_base") ?? config.fhirBase;
  $("#client-id").value = query.get("client_id") ?? config.clientId;
  $("#member").hidden = true;
  $("#connect").hidden = false;
  setStatus(message ?? "Not connected.", Boolean(message));
}

function storedConfig() {
  const text = sessionStorage.getItem(CONFIG_KEY);
  return text ? JSON.parse(text) : null;
}

/** Discovery, then off to the payer's sign-in page with a PKCE authorization request. */
async function connect(event) {
  event.preventDefault();
  const fhirBase = $("#fhir-base").value.trim();
  const clientId = $("#client-id").value.trim();
  setStatus(`Discovering ${fhirBase}…`);
  const payer = await SmartClient.discover(fhirBase);
  const pending = payer.authorize(clientId, REDIRECT_URI, SCOPE);
  sessionStorage.setItem(CONFIG_KEY, JSON.stringify({ fhirBase, clientId }));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  location.assign(pending.url);
}

/** Back from the payer: check the state, exchange the code, keep the grant. */
async function completeLaunch() {
  const config = storedConfig();
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  // The code is single-use: take it out of the address bar and the history.
  const redirect = location.href;
  history.replaceState(null, "", "/");
  if (!config || !pending) {
    throw Object.assign(new Error("This sign-in did not start here (or was already used); connect again."), { code: "callback" });
  }
  setStatus("Signing in…");
  const payer = await SmartClient.discover(config.fhirBase);
  return payer.complete(JSON.parse(pending), redirect, config.clientId, sessionStorage, GRANT_KEY);
}

async function loadMember(session) {
  setStatus("Finding your record…");
  const context = await session.patientContext();
  setStatus("Loading your coverage and claims…");
  const [patient, coverages, eobs] = await Promise.all([
    session.read("Patient", context.id),
    session.search("Coverage", { patient: context.id }),
    session.search("ExplanationOfBenefit", { patient: context.id, _count: 100 }),
  ]);
  renderPatient(patient);
  renderCoverage(coverages.map(summarizeCoverage));
  renderClaims(eobs.map(summarizeEob));
  await renderToken(session);
  $("#connect").hidden = true;
  $("#member").hidden = false;
  setStatus(`Connected to ${session.fhirBase}.`);
}

function renderPatient(patient) {
  const name = patient.name?.[0];
  const shown = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(" ");
  $("#member-name").textContent = shown || `Patient/${patient.id}`;
}

function renderCoverage(coverages) {
  const list = $("#coverage");
  list.replaceChildren();
  const add = (term, value) => {
    if (!value) return;
    list.append(el("dt", term), el("dd", value));
  };
  if (coverages.length === 0) add("Coverage", "none on file");
  for (const coverage of coverages) {
    add("Plan", [coverage.plan?.name, coverage.plan?.value].filter(Boolean).join(" · "));
    add("Type", coverage.type);
    add("Member id", coverage.memberId ?? coverage.subscriberId);
    add("Group", [coverage.group?.name, coverage.group?.value].filter(Boolean).join(" · "));
    add("Payer", coverage.payors.map((p) => p.display ?? p.reference).join(", "));
    add("Status", coverage.status);
    add("Period", [coverage.periodStart, coverage.periodEnd ?? "ongoing"].filter(Boolean).join(" to "));
  }
}

function renderClaims(claims) {
  claims.sort((a, b) => (b.serviceStart ?? "").localeCompare(a.serviceStart ?? ""));
  const body = $("#claims tbody");
  body.replaceChildren();
  for (const claim of claims) {
    const row = el("tr");
    row.dataset.id = claim.id ?? "";
    row.append(
      el("td", claim.serviceStart ?? "—"),
      el("td", claim.claimType ?? "—"),
      el("td", claim.provider?.display ?? claim.provider?.reference ?? "—"),
      el("td", claim.paymentStatus ?? claim.status ?? "—"),
      el("td", formatMoney(claim.billed), "amount"),
      el("td", formatMoney(claim.allowed), "amount"),
      el("td", formatMoney(claim.planPaid), "amount"),
      el("td", formatMoney(claim.memberPaid), "amount"),
    );
    body.append(row);
  }
  const foot = $("#claims tfoot");
  foot.replaceChildren();
  if (claims.length > 0) {
    const row = el("tr");
    const label = el("td", "Total");
    label.colSpan = 4;
    row.append(label);
    for (const column of ["billed", "allowed", "planPaid", "memberPaid"]) {
      row.append(el("td", formatMoney(total(claims, column)), "amount"));
    }
    foot.append(row);
  }
  $("#claim-count").textContent = `${claims.length} claim${claims.length === 1 ? "" : "s"}`;
  $("#claim-count").dataset.count = String(claims.length);
}

async function renderToken(session) {
  const grant = await session.grant();
  const expires = new Date(grant.expires_at * 1000);
  $("#token").textContent =
    `Access token valid until ${expires.toLocaleTimeString()}; ` +
    (grant.refresh_token ? "it is renewed automatically." : "the payer gave no refresh token: you will sign in again.");
}

/** Shows what went wrong; an authorization that ended sends the member back to connect. */
function showError(error) {
  console.error(error);
  if (error?.code === "reauthorization_required" || error?.code === "callback" || error?.code === "authorization_refused") {
    sessionStorage.removeItem(GRANT_KEY);
    showConnectForm(`Please connect again: ${error.message}`);
    return;
  }
  setStatus(`${error?.message ?? error}${error?.temporary ? " (try again in a moment)" : ""}`, true);
}

async function main() {
  // Fetch, compile and instantiate the .wasm; wasm/bench/browser-load.mjs reads the measure.
  performance.mark("cms-interop-init");
  await init();
  performance.measure("cms-interop-init", "cms-interop-init");
  $("#connect").addEventListener("submit", (event) => connect(event).catch(showError));
  let session;
  const query = new URLSearchParams(location.search);
  if (location.pathname === "/callback" && (query.has("code") || query.has("error"))) {
    session = await completeLaunch();
  } else {
    const config = storedConfig();
    session = config && (await Session.resume(config.clientId, sessionStorage, GRANT_KEY));
  }
  if (!session) {
    showConnectForm();
    return;
  }
  $("#reload").onclick = () => loadMember(session).catch(showError);
  $("#sign-out").onclick = async () => {
    await session.forget();
    sessionStorage.removeItem(CONFIG_KEY);
    showConnectForm();
  };
  await loadMember(session);
}

main().catch(showError);
