// A TypeScript app using the package, type-checked by `cargo xtask ci`
// (`tsc --noEmit --strict`): the definitions say what the exports take and return.
import init, {
  SmartClient,
  Session,
  parseResource,
  validateResource,
  summarizeEob,
  summarizeCoverage,
  type CmsInteropError,
  type EobSummary,
  type Money,
  type GrantStore,
  type SyncProgress,
} from "../pkg/cms_interop.js";

const store: GrantStore = {
  load: (key) => sessionStorage.getItem(key),
  save: (key, json) => sessionStorage.setItem(key, json),
  remove: (key) => sessionStorage.removeItem(key),
};

export async function connect(redirectUrl: string): Promise<number> {
  await init();
  const payer = await SmartClient.discover("https://payer.example/fhir");
  const warnings: string[] = payer.configuration.warnings;
  const pending = payer.authorize("app", "https://app.example/callback", "patient/*.rs");
  const url: string = pending.url;
  const session: Session = await payer.complete(pending, redirectUrl, "app", store, "grant");
  const patient = await session.patientContext();
  const report = await session.syncAll(patient.id, {
    pageSize: 50,
    onProgress: (p: SyncProgress) => console.log(p.totalResources, p.typesDone, p.typesTotal),
  });
  const eobs: number = report.counts["ExplanationOfBenefit"] ?? 0;
  const claims = await session.search("ExplanationOfBenefit", { patient: patient.id, _count: 50 });
  const parsed = parseResource(JSON.stringify(claims[0]));
  const errors = validateResource(parsed.json).filter((issue) => issue.severity === "error");
  console.log(url, warnings.length, errors.length);
  const rows: EobSummary[] = claims.map((claim) => summarizeEob(claim));
  const paid: (Money | null)[] = rows.map((row) => row.planPaid);
  const coverages = await session.search("Coverage", { patient: patient.id });
  const plan: string | null | undefined = coverages.map(summarizeCoverage)[0]?.plan?.name;
  console.log(paid.length, plan);
  return eobs;
}

/** After a reload: Web Storage itself is a grant store. */
export async function resume(): Promise<Session | undefined> {
  const session = await Session.resume("app", sessionStorage, "grant");
  if (session) {
    const base: string = session.fhirBase;
    console.log(base);
  }
  return session;
}

export async function signOut(session: Session): Promise<void> {
  await session.forget();
}

export function describe(error: unknown): string {
  const e = error as CmsInteropError;
  return e.code === "reauthorization_required" ? "sign in again" : `${e.code}: ${e.message}`;
}
