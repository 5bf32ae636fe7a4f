// The example page (`examples/browser-app`) in a real headless Chromium, against the real
// payer-server: the member connects through the payer's sign-in and consent pages, the
// page shows their coverage and a claims table whose rows and totals match what the
// server holds, and it keeps working after the access token expires (by the page's
// clock, and when the server refuses it). Chromium is Debian's (`.ci/run` installs it;
// CHROMIUM_BIN overrides the path), driven by playwright-core. The screenshot goes to
// `$CI_ARTIFACTS_DIR/browser-app.png` (`cargo xtask ci`: `target/ci-artifacts/`).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { serve } from "../../examples/browser-app/serve.mjs";
import { startDemo, fhirGet } from "./demo.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const ARTIFACTS = process.env.CI_ARTIFACTS_DIR || fileURLToPath(new URL("../../target/ci-artifacts/", import.meta.url));
/** Where the page keeps the grant (examples/browser-app/app.js). */
const GRANT_KEY = "browser-app-grant";

let app;
let demo;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: \`apt-get install chromium\` (.ci/run does) or set CHROMIUM_BIN`);
  app = await serve({ port: 0 });
  demo = await startDemo({ members: 3, redirectUri: `${app.url}/callback` });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    // A fresh profile per launch (Playwright's own temporary user-data-dir), and nothing
    // that reaches beyond loopback.
    args: ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});

after(async () => {
  await browser?.close();
  demo?.stop();
  await app?.close();
});

/** A new tab whose uncaught errors are collected (a page error fails the test). */
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error));
  return page;
}

/** The page's status line, once it is final (`Connected…`, `Not connected.`, an error). */
async function settledStatus(page) {
  await page.waitForFunction(() => {
    const status = document.querySelector("#status");
    return !/…$/.test(status.textContent);
  });
  return page.locator("#status").textContent();
}

/** From the app's connect form through the payer's sign-in and consent pages. */
async function connect(page, member, decision = "allow") {
  await page.goto(`${app.url}/?fhir_base=${encodeURIComponent(demo.fhirBase)}`);
  await page.locator("#connect").waitFor();
  assert.equal(await page.inputValue("#fhir-base"), demo.fhirBase);
  assert.equal(await page.inputValue("#client-id"), demo.clientId);
  await page.click("#connect button[type=submit]");
  // The payer's own pages.
  await page.waitForURL((url) => url.href.startsWith(new URL("/auth/", demo.fhirBase).href));
  await page.fill("#username", member.username);
  await page.fill("#password", demo.password);
  await page.click("button[type=submit]");
  await page.click(`button[name=decision][value=${decision}]`);
  await page.waitForURL(`${app.url}/`);
}

async function storedGrant(page) {
  return JSON.parse(await page.evaluate((key) => sessionStorage.getItem(key), GRANT_KEY));
}

/** What the claims table shows: its rows, the count line, and the footer totals. */
async function claimsTable(page) {
  return page.evaluate(() => ({
    rows: document.querySelectorAll("#claims tbody tr").length,
    ids: [...document.querySelectorAll("#claims tbody tr")].map((row) => row.dataset.id),
    count: document.querySelector("#claim-count").dataset.count,
    footer: [...document.querySelectorAll("#claims tfoot td")].map((cell) => cell.textContent),
    coverage: document.querySelector("#coverage").textContent,
  }));
}

/** Dollars as the page writes them (`$1,234.50`). */
function dollars(value) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(value);
}

test("a member connects in Chromium, sees coverage and claims, and the page keeps working after the token expires", async () => {
  const [member] = demo.members;
  const page = await newPage();
  // The page's clock ticks from now; the test moves it past the token's lifetime below.
  await page.clock.install();
  await connect(page, member);
  assert.match(await settledStatus(page), /^Connected to /);

  // The oracle: the server's own answers, read with the token the page holds.
  const grant = await storedGrant(page);
  assert.equal(grant.patient, member.patient);
  const eobs = await fhirGet(demo.fhirBase, `ExplanationOfBenefit?patient=${member.patient}&_count=100`, grant.access_token);
  const count = await fhirGet(demo.fhirBase, `ExplanationOfBenefit?patient=${member.patient}&_summary=count`, grant.access_token);
  const coverage = await fhirGet(demo.fhirBase, `Coverage?patient=${member.patient}`, grant.access_token);
  assert.ok(count.total > 0, "the demo member has claims");
  assert.ok(eobs.entry.length === count.total && !eobs.link?.some((l) => l.relation === "next"), "one page holds them all");

  const table = await claimsTable(page);
  assert.equal(table.rows, count.total);
  assert.equal(table.count, String(count.total));
  assert.deepEqual(new Set(table.ids), new Set(eobs.entry.map((e) => e.resource.id)));
  // The Billed total is the sum of the payer's `submitted` totals, to the cent.
  const submitted = eobs.entry.reduce((sum, { resource }) => {
    const total = resource.total.find((t) => t.category.coding.some((c) => c.code === "submitted"));
    return sum + Math.round(total.amount.value * 100);
  }, 0);
  assert.equal(table.footer[0], "Total");
  assert.equal(table.footer[1], dollars(submitted / 100));
  // The member id on the card.
  const memberId = coverage.entry[0].resource.identifier.find((i) => i.type?.coding?.some((c) => c.code === "MB")).value;
  assert.ok(table.coverage.includes(memberId), `${table.coverage} shows ${memberId}`);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "browser-app.png"), fullPage: true });

  // An hour and a minute later by the page's clock: the access token has expired, the
  // session refreshes it (rotating the refresh token, saved first) and the claims reload.
  await page.clock.fastForward("01:01:00");
  await page.click("#reload");
  assert.match(await settledStatus(page), /^Connected to /);
  const refreshed = await storedGrant(page);
  assert.notEqual(refreshed.access_token, grant.access_token);
  assert.notEqual(refreshed.refresh_token, grant.refresh_token);
  assert.equal((await claimsTable(page)).rows, count.total);

  // The server refuses the access token the page holds (as it does once it expired on
  // the server's clock): after a reload the request gets a 401, the session refreshes
  // once and retries, and the table is back.
  await page.evaluate((key) => {
    const kept = JSON.parse(sessionStorage.getItem(key));
    sessionStorage.setItem(key, JSON.stringify({ ...kept, access_token: "expired-on-the-server" }));
  }, GRANT_KEY);
  await page.reload();
  assert.match(await settledStatus(page), /^Connected to /);
  const retried = await storedGrant(page);
  assert.notEqual(retried.access_token, "expired-on-the-server");
  assert.notEqual(retried.refresh_token, refreshed.refresh_token);
  assert.equal((await claimsTable(page)).rows, count.total);
  // The token the page now holds is one the server accepts.
  const reread = await fhirGet(demo.fhirBase, `Patient?_id=${member.patient}`, retried.access_token);
  assert.equal(reread.entry[0].resource.id, member.patient);

  // Signing out forgets the grant: a reload shows the connect form.
  await page.click("#sign-out");
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), GRANT_KEY), null);
  await page.reload();
  assert.equal(await settledStatus(page), "Not connected.");
  assert.equal(await page.locator("#member").isHidden(), true);
  assert.deepEqual(page.errors, []);
});

test("an authorization that ended, and a refused consent, send the member back to connect", async () => {
  const [, member] = demo.members;
  const page = await newPage();
  await connect(page, member);
  assert.match(await settledStatus(page), /^Connected to /);
  // Both tokens unknown to the server (the member revoked the app, or the grant
  // expired): the refresh fails with invalid_grant and the page asks to connect again.
  await page.evaluate((key) => {
    const kept = JSON.parse(sessionStorage.getItem(key));
    sessionStorage.setItem(key, JSON.stringify({ ...kept, access_token: "gone", refresh_token: "gone", expires_at: 1 }));
  }, GRANT_KEY);
  await page.reload();
  const status = await settledStatus(page);
  assert.match(status, /invalid_grant/);
  assert.equal(await page.locator("#connect").isVisible(), true);
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), GRANT_KEY), null);

  // The member denies the consent: the page says so and offers to connect.
  await connect(page, member, "deny");
  assert.match(await settledStatus(page), /access_denied/);
  assert.equal(await page.locator("#connect").isVisible(), true);
  assert.deepEqual(page.errors, []);
});
