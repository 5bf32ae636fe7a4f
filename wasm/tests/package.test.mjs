// The npm package in Node (`node --test`): FHIR parsing, validation and summaries (the
// official CARIN examples among the inputs), and whole standalone launches against the
// real payer-server (`payer-server demo` on a loopback port), the member's browser played
// with fetch through the sign-in and consent forms. `cargo xtask ci` builds the package
// and the server first (PAYER_SERVER_BIN) and names the IG packages (FHIR_PACKAGES_DIR).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";

import init, {
  parseResource,
  validateResource,
  summarizeEob,
  summarizeCoverage,
  SmartClient,
  Session,
  version,
} from "../pkg/cms_interop.js";
import { freePort, startDemo, signIn, fhirGet } from "./demo.mjs";

const REDIRECT = "http://127.0.0.1:9/callback";
const SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs";

let demo;

before(async () => {
  await init({ module_or_path: readFileSync(new URL("../pkg/cms_interop_bg.wasm", import.meta.url)) });
  demo = await startDemo({ members: 3, redirectUri: REDIRECT });
});

after(() => demo?.stop());

/** The files under `package/example/` of an IG package (`.tgz`) in FHIR_PACKAGES_DIR. */
function packageExamples(file) {
  const dir = process.env.FHIR_PACKAGES_DIR;
  assert.ok(dir, "FHIR_PACKAGES_DIR names the IG packages (cargo xtask ci sets it)");
  const tar = gunzipSync(readFileSync(join(dir, file)));
  const examples = new Map();
  // ustar: 512-byte headers (name at 0, octal size at 124), contents padded to 512.
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const name = tar.subarray(at, at + 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(tar.subarray(at + 124, at + 136).toString("utf8").trim(), 8) || 0;
    if (name.startsWith("package/example/") && name.endsWith(".json")) {
      examples.set(name.slice("package/example/".length), tar.subarray(at + 512, at + 512 + size).toString("utf8"));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return examples;
}

/** A grant store over a Map, asynchronous like IndexedDB would be. */
function mapStore() {
  const map = new Map();
  return {
    map,
    load: async (key) => map.get(key) ?? null,
    save: async (key, json) => void map.set(key, json),
    remove: async (key) => void map.delete(key),
  };
}

/** The Web Storage interface (what `sessionStorage` and `localStorage` have) over a Map. */
function webStorage() {
  const map = new Map();
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, String(value)),
    removeItem: (key) => void map.delete(key),
  };
}

/** A standalone launch of `member` through the forms: the session, kept in `store`. */
async function launch(member, store, key) {
  const payer = await SmartClient.discover(demo.fhirBase);
  const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  const redirect = await signIn(pending.url, member.username, demo.password);
  return payer.complete(pending, redirect, demo.clientId, store, key);
}

test("parses strictly and leniently, keeping decimals as written", () => {
  const parsed = parseResource('{"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": 1.50}}');
  assert.equal(parsed.resourceType, "Observation");
  assert.match(parsed.json, /"value":1\.50/);
  assert.deepEqual(parsed.issues, []);

  assert.throws(
    () => parseResource('{"resourceType": "Patient", "favouriteColour": "blue"}'),
    (error) => error.code === "invalid_fhir" && /favouriteColour/.test(error.message),
  );
  const lenient = parseResource('{"resourceType": "Patient", "favouriteColour": "blue"}', true);
  assert.equal(lenient.issues.length, 1);
  assert.match(lenient.json, /favouriteColour/);
  assert.match(version(), /^\d+\.\d+\.\d+$/);
});

test("a member connects through the forms and the whole record syncs", async () => {
  const [member] = demo.members;
  const payer = await SmartClient.discover(demo.fhirBase);
  assert.equal(payer.configuration.source, "WellKnown");
  assert.deepEqual(payer.configuration.warnings, []);

  const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  assert.match(pending.url, /code_challenge_method=S256/);
  // What a page keeps in sessionStorage across the redirect.
  const kept = JSON.parse(JSON.stringify(pending));
  const redirect = await signIn(pending.url, member.username, demo.password);
  const store = mapStore();
  const session = await payer.complete(kept, redirect, demo.clientId, store, "member");
  const saved = JSON.parse(store.map.get("member"));
  assert.ok(saved.refresh_token, "the grant was saved, refresh token included");
  assert.equal(session.fhirBase, demo.fhirBase);

  const context = await session.patientContext();
  assert.equal(context.id, member.patient);
  assert.equal(context.source, "TokenPatient");

  const progress = [];
  const record = await session.syncAll(context.id, { pageSize: 10, onProgress: (p) => progress.push(p) });
  assert.ok(record.complete, JSON.stringify(record.types));
  assert.equal(record.resources.Patient[0].id, member.patient);
  const eobs = await session.search("ExplanationOfBenefit", { patient: context.id, _count: "50" });
  assert.ok(eobs.length > 0);
  assert.equal(record.counts.ExplanationOfBenefit, eobs.length);

  // The payer's EOBs meet their CARIN profile; one without its patient does not.
  for (const eob of eobs.slice(0, 5)) {
    assert.deepEqual(validateResource(JSON.stringify(eob)).filter((i) => i.severity === "error"), []);
  }
  const broken = { ...eobs[0] };
  delete broken.patient;
  const issues = validateResource(JSON.stringify(broken)).filter((i) => i.severity === "error");
  assert.ok(issues.some((i) => i.location === "ExplanationOfBenefit.patient"), JSON.stringify(issues));
  assert.equal(progress.at(-1).totalResources, record.total);

  // Every claim summarizes to the amounts the payer wrote, wherever it wrote them: the
  // claim total, else the header adjudication, else the sum of the lines (in cents).
  const cents = (eob, code) => {
    const coded = (entry) => entry.category?.coding?.some((c) => c.code === code) && entry.amount;
    const found = eob.total?.find(coded) ?? eob.adjudication?.find(coded);
    if (found) return Math.round(found.amount.value * 100);
    const lines = (eob.item ?? []).flatMap((item) => (item.adjudication ?? []).filter(coded));
    return lines.length ? lines.reduce((sum, a) => sum + Math.round(a.amount.value * 100), 0) : null;
  };
  const summarized = (money) => (money ? Math.round(Number(money.value) * 100) : null);
  let withMemberPaid = 0;
  for (const eob of eobs) {
    const summary = summarizeEob(eob);
    assert.equal(summary.id, eob.id);
    assert.equal(summary.claimType, eob.type.coding[0].code);
    assert.equal(summarized(summary.billed), cents(eob, "submitted"), eob.id);
    assert.equal(summarized(summary.allowed), cents(eob, "eligible"), eob.id);
    assert.equal(summarized(summary.memberPaid), cents(eob, "paidbypatient"), eob.id);
    assert.equal(summarized(summary.planPaid), cents(eob, "benefit") ?? cents(eob, "paidtoprovider"), eob.id);
    withMemberPaid += summary.memberPaid !== null;
  }
  assert.ok(summarized(summarizeEob(eobs[0]).billed) > 0);
  assert.ok(withMemberPaid > 0, "some claims say what the member paid");

  // After a reload: the saved grant resumes from the store, or from the grant itself.
  const resumed = await Session.resume(demo.clientId, store, "member");
  assert.equal((await resumed.read("Patient", member.patient)).id, member.patient);
  assert.equal(await Session.resume(demo.clientId, store, "nobody"), undefined);
  const fromGrant = await Session.fromGrant(JSON.parse(store.map.get("member")), demo.clientId);
  assert.equal((await fromGrant.read("Patient", member.patient)).id, member.patient);
  await resumed.forget();
  assert.equal(store.map.has("member"), false);
});

test("the official CARIN examples summarize as written", () => {
  const examples = packageExamples("hl7.fhir.us.carin-bb-2.0.0.tgz");
  const eob = summarizeEob(examples.get("ExplanationOfBenefit-EOBProfessional1.json"));
  assert.deepEqual(
    { type: eob.claimType, billed: eob.billed, planPaid: eob.planPaid, memberPaid: eob.memberPaid, provider: eob.provider },
    {
      type: "professional",
      billed: { value: "2650", currency: "USD" },
      planPaid: { value: "620", currency: "USD" },
      memberPaid: { value: "0", currency: "USD" },
      provider: { reference: "Organization/ProviderOrganization1", display: "XXX Health Plan" },
    },
  );
  assert.deepEqual(eob.totals.map((t) => t.category), ["paidtoprovider", "submitted", "paidbypatient"]);

  const coverage = summarizeCoverage(JSON.parse(examples.get("Coverage-Coverage1.json")));
  assert.equal(coverage.memberId, "88800933501");
  assert.equal(coverage.subscriberId, "888009335");
  assert.equal(coverage.relationship, "self");
  assert.deepEqual(coverage.plan, { value: "GR5", name: "GR5-HMO DEDUCTIBLE" });
  assert.deepEqual(coverage.group, { value: "MCHMO1", name: "MEDICARE HMO PLAN" });
  assert.deepEqual(coverage.payors, [{ reference: "Organization/Payer2", display: "UPMC Health Plan" }]);
  assert.equal(coverage.periodStart, "2020-01-01");

  // Every EOB and Coverage example summarizes; other types are refused by name.
  let summarized = 0;
  for (const [name, json] of examples) {
    if (name.startsWith("ExplanationOfBenefit-")) summarized += Boolean(summarizeEob(json).id);
    if (name.startsWith("Coverage-")) summarized += Boolean(summarizeCoverage(json).id);
  }
  assert.ok(summarized >= 14, `${summarized} examples summarized`);
  assert.throws(
    () => summarizeEob(examples.get("Coverage-Coverage1.json")),
    (error) => error.code === "bad_argument" && /expected a ExplanationOfBenefit, got a Coverage/.test(error.message),
  );
});

test("several members on one page, each grant in Web Storage under its own key", async () => {
  const storage = webStorage();
  const [first, second] = demo.members;
  const [a, b] = await Promise.all([launch(first, storage, "first"), launch(second, storage, "second")]);
  const [contextA, contextB] = await Promise.all([a.patientContext(), b.patientContext()]);
  assert.equal(contextA.id, first.patient);
  assert.equal(contextB.id, second.patient);
  assert.equal(JSON.parse(storage.map.get("first")).patient, first.patient);
  assert.equal(JSON.parse(storage.map.get("second")).patient, second.patient);
  // A member's token never reads another member's data.
  await assert.rejects(a.read("Patient", second.patient), (error) => error.code === "http_status");

  // A page reload: both resume from storage; an expired access token is refreshed (and
  // the rotated grant saved) before the first request.
  const grant = JSON.parse(storage.map.get("first"));
  storage.setItem("first", JSON.stringify({ ...grant, expires_at: 1 }));
  const resumed = await Session.resume(demo.clientId, storage, "first");
  assert.equal((await resumed.read("Patient", first.patient)).id, first.patient);
  const rotated = JSON.parse(storage.map.get("first"));
  assert.notEqual(rotated.access_token, grant.access_token);
  assert.notEqual(rotated.refresh_token, grant.refresh_token);
  assert.ok(rotated.expires_at > Date.now() / 1000);
  // The token the server checks: the oracle reads with it.
  const bundle = await fhirGet(demo.fhirBase, `Patient?_id=${first.patient}`, rotated.access_token);
  assert.equal(bundle.entry.length, 1);

  await assert.rejects(
    Session.resume(demo.clientId, { getItem: () => null }),
    (error) => error.code === "bad_argument" && /getItem\/setItem\/removeItem/.test(error.message),
  );
});

test("errors carry a stable code", async () => {
  const port = await freePort();
  await assert.rejects(SmartClient.discover(`http://127.0.0.1:${port}/fhir`), (error) => {
    assert.equal(error.code, "discovery");
    assert.match(error.message, /\.well-known\/smart-configuration/);
    return true;
  });
  const payer = await SmartClient.discover(demo.fhirBase);
  const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  await assert.rejects(
    payer.complete({ ...pending, state: "forged" }, `${REDIRECT}?code=x&state=other`, demo.clientId),
    (error) => error.code === "callback",
  );
  await assert.rejects(payer.complete({ url: pending.url }, REDIRECT, demo.clientId), (error) => error.code === "bad_argument");
  // A store that throws (a full localStorage): the launch fails with the store's reason.
  const full = { getItem: () => null, setItem: () => { throw new Error("QuotaExceededError: the quota has been exceeded"); }, removeItem: () => {} };
  const next = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  const redirect = await signIn(next.url, demo.members[0].username, demo.password);
  await assert.rejects(payer.complete(next, redirect, demo.clientId, full), (error) => {
    assert.equal(error.code, "storage");
    assert.match(error.message, /quota has been exceeded/);
    return true;
  });
});
