// The member's pages of payer-server (`payer-server demo` on a loopback port) in a real
// headless Chromium: a member of each line of business the demo lists connects an app
// with the npm package's client; the pages work with JavaScript off and from the
// keyboard alone; axe-core finds no serious or critical WCAG 2.2 AA violation on any of
// them; and a screenshot of each goes to `$CI_ARTIFACTS_DIR/member-pages/<page>.png`
// (`cargo xtask ci`: `target/ci-artifacts/member-pages/`): sign-in, two-step set-up,
// recovery codes, the code page, consent, connected apps, the app gallery, member
// education, and the support console.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import init, { SmartClient } from "../pkg/cms_interop.js";
import { startDemo, signIn } from "./demo.mjs";

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const ARTIFACTS = join(
  process.env.CI_ARTIFACTS_DIR || fileURLToPath(new URL("../../target/ci-artifacts/", import.meta.url)),
  "member-pages",
);
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** The app's redirect URI: a loopback server answering a blank page (set in `before`). */
let REDIRECT;
let app;
const SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs";
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const LINES = ["Commercial", "Medicare Advantage", "Medicaid", "QHP", "CHIP"];

let demo;
let browser;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: \`apt-get install chromium\` (.ci/run does) or set CHROMIUM_BIN`);
  await init({ module_or_path: readFileSync(new URL("../pkg/cms_interop_bg.wasm", import.meta.url)) });
  app = createServer((_, response) => response.end("<!doctype html><title>app</title>"));
  await new Promise((resolve) => app.listen(0, "127.0.0.1", resolve));
  REDIRECT = `http://127.0.0.1:${app.address().port}/callback`;
  // Five members, one of each line of business, then two more for the pages' own tests
  // (a member who connected the app already is not asked for a code at the next consent).
  demo = await startDemo({ members: 7, practitioners: 26, redirectUri: REDIRECT });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  demo?.stop();
  app?.close();
});

/** RFC 4648 base32, as the set-up page shows the secret (groups of four). */
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const c of text.replace(/\s/g, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of `secret` for the time step of `unixSeconds`. */
function totp(secret, unixSeconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** A tab; `javaScript: false` for the no-script checks. The pages' CSP forbids scripts,
 * so the context bypasses it to run axe-core. */
async function newPage({ javaScript = true } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1024, height: 900 },
    javaScriptEnabled: javaScript,
    bypassCSP: true,
  });
  return context.newPage();
}

/** axe-core's WCAG 2.2 A/AA and best-practice rules on the page: the serious and critical
 * violations, none expected; and a full-page screenshot named `name`. */
async function check(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } }),
  );
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `${name}: axe-core violations`,
  );
  assert.ok(result.passes.length > 10, `${name}: axe-core ran (${result.passes.length} rules passed)`);
}

function authorizeUrl(state = "s-1") {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: demo.clientId,
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state,
    aud: demo.fhirBase,
    // RFC 7636 appendix B: the challenge of VERIFIER.
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
  });
  return `${demo.authBase}/authorize?${params}`;
}

test("the demo lists a member of each line of business, and each connects an app", async () => {
  const lines = demo.members.map((m) => m.lineOfBusiness);
  assert.deepEqual(lines.slice(0, 5).sort(), [...LINES].sort(), "the first five, one per line");
  for (const member of demo.members.slice(0, 5)) {
    const payer = await SmartClient.discover(demo.fhirBase);
    const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
    const redirect = await signIn(pending.url, member.username, demo.password);
    const store = new Map();
    const session = await payer.complete(pending, redirect, demo.clientId, {
      load: async (key) => store.get(key) ?? null,
      save: async (key, json) => void store.set(key, json),
      remove: async (key) => void store.delete(key),
    }, member.username);
    const context = await session.patientContext();
    assert.equal(context.id, member.patient, member.lineOfBusiness);
    const coverage = await session.search("Coverage", { patient: context.id });
    assert.ok(coverage.length > 0, `${member.lineOfBusiness}: the member's coverage`);
  }
});

test("the pages work with JavaScript off and from the keyboard alone", async () => {
  const member = demo.members[5];
  const page = await newPage({ javaScript: false });
  await page.goto(authorizeUrl("keyboard"));
  // The skip link comes first, then the fields, in order; Enter submits.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "username");
  await page.keyboard.type(member.username);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "password");
  await page.keyboard.type(demo.password);
  await page.keyboard.press("Enter");
  await page.waitForSelector("button[name=decision][value=allow]");
  // Every box reachable and ticked; Allow by keyboard.
  const boxes = await page.locator("input[name=allow]").count();
  assert.ok(boxes >= 5, `${boxes} consent boxes`);
  await page.focus("button[name=decision][value=allow]");
  await Promise.all([page.waitForURL(`${REDIRECT}**`), page.keyboard.press("Enter")]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("state"), "keyboard");
  assert.ok(url.searchParams.get("code"), page.url());
  await page.context().close();
});

test("every member page passes axe-core and is captured", async () => {
  const member = demo.members[6];
  const page = await newPage();

  // Connected apps: sign in, then set up two-step sign-in.
  await page.goto(`${demo.authBase}/apps`);
  await check(page, "connected-apps-sign-in");
  await page.fill("#username", member.username);
  await page.fill("#password", demo.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("text=Set up two-step sign-in");
  await page.click("text=Set up two-step sign-in");
  await page.waitForSelector("code.secret");
  await check(page, "two-step-setup");
  const secret = await page.locator("code.secret").textContent();
  const enrolledAt = Date.now() / 1000;
  await page.fill("#code", totp(secret, enrolledAt));
  await page.click("button[type=submit]");
  await page.waitForSelector("ul.codes");
  await check(page, "recovery-codes");
  const recoveryCode = await page.locator("ul.codes li code").first().textContent();

  // An app's first consent: sign-in, then the code (the next step's: the set-up spent
  // this one), then the consent page.
  await page.goto(authorizeUrl());
  await check(page, "sign-in");
  await page.fill("#username", member.username);
  await page.fill("#password", demo.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("#code");
  await check(page, "two-step-code");
  await page.fill("#code", totp(secret, enrolledAt + 30));
  await page.click("button[type=submit]");
  await page.waitForSelector("button[name=decision][value=allow]");
  await check(page, "consent");
  await Promise.all([page.waitForURL(`${REDIRECT}**`), page.click("button[name=decision][value=allow]")]);
  // The app exchanges its code: the authorization exists from then on.
  const token = await fetch(`${demo.authBase}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: new URL(page.url()).searchParams.get("code"),
      redirect_uri: REDIRECT,
      code_verifier: VERIFIER,
      client_id: demo.clientId,
    }),
  });
  assert.equal(token.status, 200, await token.clone().text());
  assert.equal((await token.json()).patient, member.patient);

  // The connected apps page again, now with the app; a recovery code in place of the
  // app's code (the authenticator's next one is still half a minute away).
  await page.goto(`${demo.authBase}/apps`);
  await page.fill("#username", member.username);
  await page.fill("#password", demo.password);
  await page.click("button[type=submit]");
  await page.fill("#code", recoveryCode);
  await page.click("button[type=submit]");
  await page.waitForSelector("text=Revoke Demo patient app");
  await check(page, "connected-apps");

  for (const [path, name] of [["gallery", "app-gallery"], ["sharing", "member-education"]]) {
    await page.goto(`${demo.authBase}/${path}`);
    await check(page, name);
  }

  // The support console, on this member.
  await page.goto(`${demo.authBase}/support`);
  await page.fill("#staff", "Alice Example");
  await page.fill("#key", demo.adminToken);
  await page.click("button[type=submit]");
  await page.waitForSelector("#member");
  await check(page, "support-console");
  await page.fill("#member", member.username);
  await page.click("button[type=submit]");
  await page.waitForSelector("text=What apps read");
  assert.match(await page.content(), /consent given/);
  await check(page, "support-member");

  // An error page.
  await page.goto(`${demo.authBase}/authorize?client_id=unknown-app`);
  await check(page, "error");
  await page.context().close();
});
