//! `payer-server`: serve the FHIR API over a SQLite file, or load data into it.
//!
//! ```text
//! payer-server demo [--members 300] [--practitioners 1000] [--listen 127.0.0.1:8080]
//!     [--redirect-uri URI]
//! payer-server serve --db payer.sqlite --listen 127.0.0.1:8080 [--open]   (directory at /directory)
//! payer-server load --db payer.sqlite [--validation reject|warn|off] FILES...
//! payer-server register-app --db payer.sqlite --name NAME --redirect-uri URI [--type T]
//!     [--jwks FILE | --jwks-url URL]
//! payer-server add-member --db payer.sqlite --username U --patient ID   (password on stdin)
//! ```
//!
//! Every command but `demo` takes `--database postgres://...` (or `PAYER_SERVER_DATABASE`)
//! in place of `--db` when built with the feature `postgres`: several `serve` processes
//! over one PostgreSQL database serve as one.

#![allow(
    clippy::print_stdout,
    reason = "a command-line program: what it prints on stdout (`key: value` lines) is its result"
)]

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use payer_server::audit::{AuditStore, StoreAuditSink};
use payer_server::auth::{
    AuthConfig, AuthServer, AuthStore, ClientKeys, ClientKind, LocalMembers, MfaPolicy,
    Registration, Theme, UpstreamOidc, UpstreamSettings,
};
use payer_server::http::{ServerConfig, router};
use payer_server::ingest::{self, Validation};
#[cfg(feature = "postgres")]
use payer_server::store::PostgresStore;
use payer_server::store::{ResourceStore, SqliteStore};
use payer_server::synth::LineOfBusiness;

#[derive(Parser)]
// A later occurrence of an option replaces an earlier one: a `--config` file's settings go
// first, and the command line's own replace them.
#[command(
    version,
    about = "Payer FHIR server (CMS Patient Access API)",
    args_override_self = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate synthetic members (coverage, five years of claims of all five CARIN EOB
    /// types, US Core clinical data), load them into a SQLite file and serve them.
    Demo {
        /// How many members.
        #[arg(long, default_value_t = 300)]
        members: usize,
        /// How many practitioners the provider directory lists (at least the 26 the
        /// claims name; the others work at clinics of their own).
        #[arg(long, default_value_t = 1_000)]
        practitioners: usize,
        /// The SQLite file (replaced).
        #[arg(long, default_value = "demo.sqlite")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Redirect URIs of the demo app (`demo-app`, public).
        #[arg(
            long = "redirect-uri",
            default_value = "http://127.0.0.1:8765/callback"
        )]
        redirect_uris: Vec<String>,
        #[command(flatten)]
        members_sign_in: MemberArgs,
    },
    /// Serve the FHIR API behind the SMART authorization server (at `/auth`).
    Serve {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The FHIR base URL clients use (default: http://<listen>/fhir); the
        /// authorization server is `/auth` and the directory `/directory` beside it.
        /// Replicas behind one public URL are all given it.
        #[arg(long)]
        base_url: Option<String>,
        /// Accept transaction and batch Bundles posted to the base, validating each
        /// resource as given. Only a grant of everything may write: with `--open`.
        #[arg(long, value_enum)]
        writes: Option<ValidationArg>,
        /// No authorization: every request reads (and, with `--writes`, writes)
        /// everything. Refused unless listening on a loopback address.
        #[arg(long)]
        open: bool,
        /// The bearer token of the admin endpoints (random and printed when not given;
        /// replicas of one deployment share one, from PAYER_SERVER_ADMIN_TOKEN).
        #[arg(long, env = "PAYER_SERVER_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        #[command(flatten)]
        members_sign_in: MemberArgs,
    },
    /// Register an app with the authorization server; prints its client id (and secret).
    RegisterApp {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The name members see on the consent page.
        #[arg(long)]
        name: String,
        /// A redirect URI (repeat for several); matched exactly.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// How the app authenticates.
        #[arg(long = "type", value_enum, default_value_t = AppType::Public)]
        app_type: AppType,
        /// The app's public keys (a JWK Set file), for `private-key-jwt` and `backend`.
        #[arg(long, conflicts_with = "jwks_url")]
        jwks: Option<PathBuf>,
        /// Where the app publishes its JWK Set (https), fetched at each authentication.
        #[arg(long)]
        jwks_url: Option<String>,
        /// The client id wanted (random by default).
        #[arg(long)]
        client_id: Option<String>,
        /// What the app does, for members (consent page, app gallery).
        #[arg(long)]
        description: Option<String>,
        /// The developer's website.
        #[arg(long)]
        homepage: Option<String>,
        /// The app's privacy policy.
        #[arg(long)]
        privacy_policy: Option<String>,
        /// The developer attested that the privacy policy says how the app uses, shares
        /// and sells members' data (CMS-9115-F); without it members see a warning.
        #[arg(long, requires = "privacy_policy")]
        privacy_attested: bool,
    },
    /// Add a member to the local directory; reads the password from stdin.
    AddMember {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The user name they sign in with.
        #[arg(long)]
        username: String,
        /// Their Patient id.
        #[arg(long)]
        patient: String,
        /// Their plan's line of business: medicare-advantage, medicaid, chip, qhp or
        /// commercial.
        #[arg(long, value_parser = parse_line_of_business)]
        line_of_business: Option<LineOfBusiness>,
    },
    /// Load FHIR JSON, NDJSON or Bundle files.
    Load {
        #[command(flatten)]
        database: DatabaseArgs,
        /// What to do with resources that break their profile.
        #[arg(long, value_enum, default_value_t = ValidationArg::Reject)]
        validation: ValidationArg,
        /// The files to load.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// How members sign in.
#[derive(clap::Args, Clone)]
struct MemberArgs {
    /// When local members give a second factor (TOTP): `off`, `when-enrolled` (those
    /// who set it up, before the first consent to each app) or `required` (every member;
    /// set up at their first consent).
    #[arg(long, value_parser = parse_mfa, default_value = "when-enrolled")]
    mfa: MfaPolicy,
    /// Only members of these lines of business may connect apps (comma-separated:
    /// medicare-advantage, medicaid, chip, qhp, commercial). Every line by default.
    #[arg(long, value_delimiter = ',', value_parser = parse_line_of_business)]
    lines_of_business: Vec<LineOfBusiness>,
    /// The payer's name, on the member's pages and in their authenticator apps.
    #[arg(long, default_value = "Health plan")]
    payer_name: String,
    /// The payer's logo on the member's pages (https URL).
    #[arg(long)]
    logo_url: Option<String>,
    /// The colour of links and buttons, `#rrggbb`, at least 4.5:1 against white.
    #[arg(long)]
    accent: Option<String>,
    /// How members reach member services, shown on every page ("Call 1-800-...").
    #[arg(long)]
    support_contact: Option<String>,
    /// Where the member education link goes (the server's own page by default).
    #[arg(long)]
    education_url: Option<String>,
    /// A line above the sign-in form ("Use your member portal login").
    #[arg(long)]
    sign_in_note: Option<String>,
    /// Members sign in at this OpenID Connect provider (the payer's member portal) in
    /// place of passwords here: its issuer URL. Register this server with it as a
    /// confidential client whose redirect URI is `<base>/auth/upstream/callback`.
    #[arg(long, requires_all = ["upstream_client_id", "upstream_client_secret"])]
    upstream_issuer: Option<String>,
    /// This server's client id at the provider.
    #[arg(long)]
    upstream_client_id: Option<String>,
    /// This server's client secret at the provider (from the environment keeps it out
    /// of the process list).
    #[arg(
        long,
        env = "PAYER_SERVER_UPSTREAM_CLIENT_SECRET",
        hide_env_values = true
    )]
    upstream_client_secret: Option<String>,
    /// The provider as members know it, on the sign-in page.
    #[arg(long, default_value = "your member portal")]
    upstream_name: String,
    /// The claim naming the member (their user name here).
    #[arg(long, default_value = "sub")]
    upstream_username_claim: String,
    /// The claim carrying the member's Patient id (`123`, `Patient/123` or a URL).
    #[arg(long, default_value = "patient")]
    upstream_patient_claim: String,
    /// The claim carrying the member's line of business, if the provider has one.
    #[arg(long)]
    upstream_line_of_business_claim: Option<String>,
    /// The scopes asked of the provider (with openid).
    #[arg(long, default_value = "openid")]
    upstream_scope: String,
}

impl Default for MemberArgs {
    fn default() -> Self {
        MemberArgs {
            mfa: MfaPolicy::default(),
            lines_of_business: Vec::new(),
            payer_name: "Health plan".to_owned(),
            logo_url: None,
            accent: None,
            support_contact: None,
            education_url: None,
            sign_in_note: None,
            upstream_issuer: None,
            upstream_client_id: None,
            upstream_client_secret: None,
            upstream_name: "your member portal".to_owned(),
            upstream_username_claim: "sub".to_owned(),
            upstream_patient_claim: "patient".to_owned(),
            upstream_line_of_business_claim: None,
            upstream_scope: "openid".to_owned(),
        }
    }
}

impl MemberArgs {
    /// The provider's settings, discovered, when one is configured.
    async fn upstream(&self) -> Result<Option<UpstreamOidc>, String> {
        let (Some(issuer), Some(client_id), Some(secret)) = (
            &self.upstream_issuer,
            &self.upstream_client_id,
            &self.upstream_client_secret,
        ) else {
            return Ok(None);
        };
        let mut settings = UpstreamSettings::new(issuer, client_id, secret, &self.upstream_name)
            .with_claims(&self.upstream_username_claim, &self.upstream_patient_claim)
            .with_scope(&self.upstream_scope);
        if let Some(claim) = &self.upstream_line_of_business_claim {
            settings = settings.with_line_of_business_claim(claim);
        }
        UpstreamOidc::discover(settings)
            .await
            .map(Some)
            .map_err(|e| format!("the identity provider {issuer}: {e}"))
    }

    async fn configure(&self, mut config: AuthConfig) -> Result<AuthConfig, String> {
        if let Some(upstream) = self.upstream().await? {
            config = config.with_upstream(upstream);
        }
        let mut theme = Theme::new(&self.payer_name);
        let bad = |e: payer_server::error::Error| e.to_string();
        if let Some(url) = &self.logo_url {
            theme = theme.with_logo(url).map_err(bad)?;
        }
        if let Some(accent) = &self.accent {
            theme = theme.with_accent(accent).map_err(bad)?;
        }
        if let Some(contact) = &self.support_contact {
            theme = theme.with_support_contact(contact);
        }
        if let Some(url) = &self.education_url {
            theme = theme.with_education_url(url).map_err(bad)?;
        }
        if let Some(note) = &self.sign_in_note {
            theme = theme.with_sign_in_note(note);
        }
        config = config.with_mfa(self.mfa).with_theme(theme);
        if !self.lines_of_business.is_empty() {
            config = config.with_lines_of_business(self.lines_of_business.clone());
        }
        Ok(config)
    }
}

fn parse_mfa(text: &str) -> Result<MfaPolicy, String> {
    MfaPolicy::from_code(text)
        .ok_or_else(|| format!("{text:?} is not off, when-enrolled or required"))
}

fn parse_line_of_business(text: &str) -> Result<LineOfBusiness, String> {
    LineOfBusiness::from_code(text).ok_or_else(|| {
        format!("{text:?} is not medicare-advantage, medicaid, chip, qhp or commercial")
    })
}

/// Where the data is.
#[derive(clap::Args)]
struct DatabaseArgs {
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = "payer.sqlite")]
    db: PathBuf,
    /// A PostgreSQL database instead: `postgres://user:password@host:port/dbname`
    /// (`?options=-c%20search_path%3Dpayer` for a schema of its own). Read from
    /// PAYER_SERVER_DATABASE when not given, which keeps a password out of the process
    /// list. Its schema is created or migrated at start.
    #[arg(long, env = "PAYER_SERVER_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// A file of settings, one `name = value` per line (`#` starts a comment), the names
    /// being the command's long options without `--` (`database = postgres://...`,
    /// `listen = 0.0.0.0:8080`, `admin-token = ...`). The command line wins over the
    /// file, and the file over the environment.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// The store a command runs on.
#[derive(Clone)]
enum Store {
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl DatabaseArgs {
    async fn open(&self) -> Result<Store, String> {
        match &self.database {
            None => open_db(&self.db).map(Store::Sqlite),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                open_postgres(url).await
            }
            Some(other) => Err(format!(
                "--database takes a postgres:// URL, not {other:?} (a SQLite file is --db)"
            )),
        }
    }
}

#[cfg(feature = "postgres")]
async fn open_postgres(url: &str) -> Result<Store, String> {
    PostgresStore::connect(url)
        .await
        .map(Store::Postgres)
        // The URL may hold a password: the error names the database by its role only.
        .map_err(|e| format!("the PostgreSQL database: {e}"))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_url: &str) -> Result<Store, String> {
    Err(
        "this payer-server was built without PostgreSQL: build it with \
         `--features postgres`"
            .to_owned(),
    )
}

/// Runs `$body` with `$store` bound to the concrete store of a [`Store`].
macro_rules! with_store {
    ($store:expr, $s:ident => $body:expr) => {
        match $store {
            Store::Sqlite($s) => $body,
            #[cfg(feature = "postgres")]
            Store::Postgres($s) => $body,
        }
    };
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AppType {
    /// A browser or native app: PKCE, no secret.
    Public,
    /// A server-side app with a client secret.
    Confidential,
    /// A server-side app signing client assertions (SMART asymmetric).
    PrivateKeyJwt,
    /// A SMART Backend Services client (`client_credentials`, `system/` scopes).
    Backend,
}

#[derive(Clone, Copy, ValueEnum)]
enum ValidationArg {
    Reject,
    Warn,
    Off,
}

impl From<ValidationArg> for Validation {
    fn from(arg: ValidationArg) -> Validation {
        match arg {
            ValidationArg::Reject => Validation::Reject,
            ValidationArg::Warn => Validation::Warn,
            ValidationArg::Off => Validation::Off,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match with_config_file(std::env::args_os().collect()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match run(Cli::parse_from(args)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Demo {
            members,
            practitioners,
            db,
            listen,
            redirect_uris,
            members_sign_in,
        } => {
            let config = payer_server::synth::Config {
                members,
                directory_practitioners: practitioners,
                ..payer_server::synth::Config::default()
            };
            demo(&config, &db, &listen, redirect_uris, &members_sign_in).await
        }
        Command::Serve {
            database,
            listen,
            base_url,
            writes,
            open,
            admin_token,
            members_sign_in,
        } => {
            let store = database.open().await?;
            let base_url = base_url.unwrap_or_else(|| format!("http://{listen}/fhir"));
            let listener = bind(&listen).await?;
            println!("fhir_base: {base_url}");
            println!(
                "directory_base: {} (Plan-Net provider directory, public)",
                sibling(&base_url, "directory")
            );
            let mut config = ServerConfig::new(&base_url);
            if let Some(writes) = writes {
                config = config.with_writes(writes.into());
                println!("writes: enabled (transaction and batch Bundles posted to the base)");
            }
            if open {
                let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
                if !loopback {
                    return Err(
                        "--open serves everything to anyone: loopback addresses only".to_owned(),
                    );
                }
                println!("authorization: none (--open); the API is open on loopback");
                return with_store!(store, s => serve(listener, s, config, None).await);
            }
            // Replicas share one (from the environment); a lone server makes its own.
            let (admin_token, shown) = match admin_token {
                Some(token) => (token, "(given)".to_owned()),
                None => {
                    let token = payer_server::auth::random_token();
                    (token.clone(), token)
                }
            };
            with_store!(store, s => {
                let auth =
                    auth_server(&s, &base_url, Some(&admin_token), &members_sign_in).await?;
                println!("issuer: {}", auth.config().issuer);
                println!("admin_token: {shown}");
                serve(listener, s, config, Some(auth)).await
            })
        }
        Command::RegisterApp {
            database,
            name,
            redirect_uris,
            app_type,
            jwks,
            jwks_url,
            client_id,
            description,
            homepage,
            privacy_policy,
            privacy_attested,
        } => {
            let store = database.open().await?;
            let keys = match (jwks, jwks_url) {
                (Some(file), _) => Some(ClientKeys::Jwks(
                    std::fs::read_to_string(&file)
                        .map_err(|e| format!("{}: {e}", file.display()))?,
                )),
                (None, Some(url)) => Some(ClientKeys::JwksUrl(url)),
                (None, None) => None,
            };
            let kind = match (app_type, keys) {
                (AppType::Public, _) => ClientKind::Public,
                (AppType::Confidential, _) => ClientKind::Secret,
                (AppType::PrivateKeyJwt, Some(keys)) => ClientKind::PrivateKeyJwt { keys },
                (AppType::Backend, Some(keys)) => ClientKind::Backend { keys },
                (_, None) => {
                    return Err(
                        "--jwks FILE or --jwks-url URL is required for this type".to_owned()
                    );
                }
            };
            let mut registration = Registration::public(name, redirect_uris).kind(kind);
            if let Some(id) = client_id {
                registration = registration.client_id(id);
            }
            if let Some(description) = description {
                registration = registration.description(description);
            }
            if let Some(homepage) = homepage {
                registration = registration.homepage(homepage);
            }
            if let Some(policy) = privacy_policy {
                registration = registration.privacy_policy(policy, privacy_attested);
            }
            let registered = with_store!(store, s => {
                // The issuer does not matter to a registration.
                let auth =
                    auth_server(&s, "http://127.0.0.1/fhir", None, &MemberArgs::default()).await?;
                auth.register(registration).await.map_err(|e| e.to_string())?
            });
            println!("client_id: {}", registered.client_id);
            if let Some(secret) = registered.client_secret {
                println!("client_secret: {secret}");
            }
            Ok(())
        }
        Command::AddMember {
            database,
            username,
            patient,
            line_of_business,
        } => {
            let store = database.open().await?;
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| format!("reading the password from stdin: {e}"))?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.len() < 8 {
                return Err("the password (read from stdin) needs at least 8 characters".to_owned());
            }
            with_store!(store, s => LocalMembers::new(s)
                .add_in_line(&username, password, &patient, line_of_business)
                .await
                .map_err(|e| e.to_string())?);
            println!("member: {username}");
            println!("patient: Patient/{patient}");
            Ok(())
        }
        Command::Load {
            database,
            validation,
            files,
        } => {
            let validation = Validation::from(validation);
            let total = match database.open().await? {
                Store::Sqlite(store) => {
                    // A first load builds the search indexes once at the end; a load into
                    // a database that holds data (and may be serving) keeps them up to
                    // date.
                    if store.is_empty().await.map_err(|e| e.to_string())? {
                        store.bulk_load(load_files(&store, files, validation)).await
                    } else {
                        load_files(&store, files, validation).await
                    }
                }
                #[cfg(feature = "postgres")]
                Store::Postgres(store) => {
                    let loaded = load_files(&store, files, validation).await;
                    store.analyze().await.map_err(|e| e.to_string())?;
                    loaded
                }
            }
            .map_err(|e| e.to_string())?;
            for problem in &total.problems {
                eprintln!("{problem}");
            }
            println!("{total}");
            if total.rejected > 0 {
                return Err(format!("{} resource(s) rejected", total.rejected));
            }
            Ok(())
        }
    }
}

/// Loads `files` (FHIR JSON, NDJSON or Bundles) into `store`, with a progress bar each.
async fn load_files<S: ResourceStore>(
    store: &S,
    files: Vec<PathBuf>,
    validation: Validation,
) -> Result<ingest::LoadReport, Box<dyn std::error::Error>> {
    let mut total = ingest::LoadReport::default();
    for file in files {
        let origin = file.display().to_string();
        let report = if is_ndjson(&file).map_err(|e| format!("{origin}: {e}"))? {
            // Streamed: an NDJSON export can be larger than memory.
            let reader = std::io::BufReader::new(
                std::fs::File::open(&file).map_err(|e| format!("{origin}: {e}"))?,
            );
            let bar = progress_bar(&origin, None);
            let report = ingest::load_ndjson(store, &origin, reader, validation, &mut |done| {
                bar.set_position(done as u64)
            })
            .await;
            bar.finish();
            report
        } else {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{origin}: {e}"))?;
            let resources = ingest::resources_in(&text).map_err(|e| format!("{origin}: {e}"))?;
            let resources: Vec<_> = resources
                .into_iter()
                .map(|(position, json)| (format!("{origin}: {position}"), json))
                .collect();
            let bar = progress_bar(&origin, Some(resources.len()));
            let report = ingest::load(store, resources, validation, &mut |done| {
                bar.set_position(done as u64);
            })
            .await;
            bar.finish();
            report
        }
        .map_err(|e| format!("{origin}: {e}"))?;
        total.created += report.created;
        total.updated += report.updated;
        total.unchanged += report.unchanged;
        total.rejected += report.rejected;
        total.loaded_with_errors += report.loaded_with_errors;
        total.problems.extend(report.problems);
    }
    Ok(total)
}

/// The command line with the settings of its `--config` file inserted after the
/// subcommand, before the command's own options, which therefore replace them.
fn with_config_file(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let named = args.iter().enumerate().find_map(|(i, arg)| {
        let arg = arg.to_str()?;
        match arg.strip_prefix("--config=") {
            Some(file) => Some(Some(PathBuf::from(file))),
            None if arg == "--config" => Some(args.get(i + 1).map(PathBuf::from)),
            None => None,
        }
    });
    let file = match named {
        None => return Ok(args),
        Some(None) => return Err("--config needs a file".to_owned()),
        Some(Some(file)) => file,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut settings: Vec<OsString> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let place = || format!("{}:{}", file.display(), n + 1);
        let (name, value) = line
            .split_once('=')
            .ok_or_else(|| format!("{}: expected `name = value`", place()))?;
        let name = name.trim();
        if name.is_empty() || name == "config" || name.starts_with('-') {
            return Err(format!("{}: `{name}` is not a setting", place()));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        settings.push(format!("--{name}").into());
        settings.push(value.into());
    }
    let split = args.len().min(2);
    let mut with = args[..split].to_vec();
    with.extend(settings);
    with.extend_from_slice(&args[split..]);
    Ok(with)
}

/// Whether `file` is NDJSON: its first line is a whole JSON object that is not a Bundle
/// (a pretty-printed resource or Bundle starts with a line that is not).
fn is_ndjson(file: &std::path::Path) -> std::io::Result<bool> {
    use std::io::BufRead as _;
    let mut first = String::new();
    std::io::BufReader::new(std::fs::File::open(file)?).read_line(&mut first)?;
    let value: Option<serde_json::Value> = serde_json::from_str(first.trim()).ok();
    Ok(value.is_some_and(|v| v.is_object() && v["resourceType"] != "Bundle"))
}

async fn bind(listen: &str) -> Result<tokio::net::TcpListener, String> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("listening on {listen}: {e}"))
}

fn open_db(db: &std::path::Path) -> Result<SqliteStore, String> {
    SqliteStore::open(db).map_err(|e| format!("{}: {e}", db.display()))
}

/// The authorization server over `store`, for `fhir_base`, at its origin's `/auth`.
async fn auth_server<S: AuthStore + Clone>(
    store: &S,
    fhir_base: &str,
    admin_token: Option<&str>,
    members: &MemberArgs,
) -> Result<AuthServer<S>, String> {
    // Beside the FHIR base, as it is mounted: replicas behind one public URL agree.
    let mut config = members
        .configure(AuthConfig::new(sibling(fhir_base, "auth"), fhir_base))
        .await?;
    if let Some(token) = admin_token {
        config = config.with_admin_token(token);
    }
    AuthServer::new(store.clone(), config)
        .await
        .map_err(|e| e.to_string())
}

/// Serves the FHIR API under `/fhir`, behind `auth` (at `/auth`) unless `None`, until
/// Ctrl-C.
async fn serve<S: ResourceStore + AuthStore + AuditStore + Clone>(
    listener: tokio::net::TcpListener,
    store: S,
    config: ServerConfig,
    auth: Option<AuthServer<S>>,
) -> Result<(), String> {
    // Every access to the member APIs, in the database beside the data: replicas keep
    // one trail.
    let audit = Arc::new(StoreAuditSink::spawn(store.clone()));
    let mut config = config.with_audit(audit.clone());
    let mut app = axum::Router::new();
    if let Some(auth) = auth {
        config = config
            .with_authorizer(auth.authorizer())
            .with_smart_configuration(auth.smart_configuration());
        app = app.nest("/auth", auth.router().merge(auth.support_router()));
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                every.tick().await;
                if let Err(e) = auth.purge_expired().await {
                    eprintln!("purging expired tokens: {e}");
                }
            }
        });
    }
    // The public Provider Directory API beside the member APIs, on the same store.
    let directory_base = sibling(&config.base_url, "directory");
    let app = app
        .nest(
            "/directory",
            router(store.clone(), ServerConfig::directory(directory_base)),
        )
        .nest("/fhir", router(store, config));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string());
    // The requests answered last have events still queued: write them before exiting,
    // and say so if the database does not take them in time.
    let wait = std::time::Duration::from_secs(10);
    if tokio::time::timeout(wait, audit.flush()).await.is_err() {
        eprintln!(
            "the audit trail could not be written before shutdown: {} events are lost",
            audit.queued()
        );
    }
    served
}

/// Ctrl-C, or SIGTERM (what container runtimes and systemd send to stop a service).
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The URL of what is mounted at `/{path}`, from the FHIR base's (mounted at `/fhir`).
fn sibling(fhir_base: &str, path: &str) -> String {
    format!(
        "{}/{path}",
        fhir_base.strip_suffix("/fhir").unwrap_or(fhir_base)
    )
}

/// `payer-server demo`: generate, load, print what to try, serve.
async fn demo(
    config: &payer_server::synth::Config,
    db: &std::path::Path,
    listen: &str,
    redirect_uris: Vec<String>,
    members_sign_in: &MemberArgs,
) -> Result<(), String> {
    // Bind first: a busy port should fail before a minute of loading.
    let listener = bind(listen).await?;
    let base_url = format!("http://{listen}/fhir");
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
    }
    let store = SqliteStore::open(db).map_err(|e| format!("{}: {e}", db.display()))?;
    eprintln!(
        "generating and loading {} synthetic members and a directory of {} practitioners into {}...",
        config.members,
        config.directory_practitioners,
        db.display()
    );
    // The generator's tests validate everything it makes against the profiles; the demo
    // does not pay for it again at every start.
    let (report, dataset_members) = store
        .bulk_load(ingest::load_synthetic(&store, config, Validation::Off))
        .await
        .map_err(|e| e.to_string())?;
    // The support console's key, new at every start like the password.
    let admin_token = payer_server::auth::random_token();
    let auth = auth_server(&store, &base_url, Some(&admin_token), members_sign_in).await?;
    let app = auth
        .register(
            Registration::public("Demo patient app", redirect_uris.clone())
                .client_id("demo-app")
                .description(
                    "cms-interop's example app: your coverage, claims and clinical records in \
                     your browser, kept on your device.",
                ),
        )
        .await
        .map_err(|e| e.to_string())?;
    // One password for the demo members, new at every start.
    let password = payer_server::auth::random_token()[..12].to_owned();
    println!("fhir_base: {base_url}");
    println!("smart_configuration: {base_url}/.well-known/smart-configuration");
    println!(
        "directory_base: {} (Plan-Net provider directory, public)",
        sibling(&base_url, "directory")
    );
    println!("resources: {}", report.created);
    println!("members: {}", dataset_members.len());
    println!("client_id: {} (public, PKCE S256)", app.client_id);
    for uri in &redirect_uris {
        println!("redirect_uri: {uri}");
    }
    println!("password: {password} (every member listed below)");
    // One member per line of business first, then the rest up to ten.
    let mut shown: Vec<&payer_server::synth::Member> = Vec::new();
    for member in &dataset_members {
        if !shown
            .iter()
            .any(|m| m.line_of_business == member.line_of_business)
        {
            shown.push(member);
        }
    }
    for member in &dataset_members {
        if shown.len() >= 10 {
            break;
        }
        if !shown.iter().any(|m| m.patient_id == member.patient_id) {
            shown.push(member);
        }
    }
    let directory = LocalMembers::new(store.clone());
    for member in shown {
        directory
            .add_in_line(
                &member.username,
                &password,
                &member.patient_id,
                Some(member.line_of_business),
            )
            .await
            .map_err(|e| e.to_string())?;
        println!();
        println!("username: {}", member.username);
        println!("name: {}", member.display_name);
        println!("line_of_business: {}", member.line_of_business.display());
        println!("patient: Patient/{}", member.patient_id);
    }
    println!();
    println!(
        "try: open http://{listen}/auth/authorize?response_type=code&client_id={}&redirect_uri=...\
         &scope=launch/patient+openid+fhirUser+offline_access+patient/*.rs&state=...&aud={base_url}\
         &code_challenge=...&code_challenge_method=S256 (or any SMART app with the values above)",
        app.client_id
    );
    println!("support_console: http://{listen}/auth/support");
    println!("admin_token: {admin_token} (the support console's access key)");
    println!("app_gallery: http://{listen}/auth/gallery");
    println!("member_education: http://{listen}/auth/sharing");
    println!("connected_apps: http://{listen}/auth/apps");
    println!("serving on {listen}; Ctrl-C to stop");
    serve(listener, store, ServerConfig::new(&base_url), Some(auth)).await
}

/// A progress bar on stderr for loading `len` resources from `origin` (hidden when stderr
/// is not a terminal).
/// A progress bar over `len` resources, or a counter when the count is not known ahead
/// (streamed NDJSON).
fn progress_bar(origin: &str, len: Option<usize>) -> indicatif::ProgressBar {
    let (bar, template) = match len {
        Some(len) => (
            indicatif::ProgressBar::new(len as u64),
            "{msg} [{bar:30}] {pos}/{len} resources ({per_sec}, {eta} left)",
        ),
        None => (
            indicatif::ProgressBar::new_spinner(),
            "{msg} {spinner} {pos} resources ({per_sec})",
        ),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(origin.to_owned());
    bar
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_config_file_gives_settings_the_command_line_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("payer.conf");
        std::fs::write(
            &file,
            "# replica settings\ndatabase = \"postgres://db/payer\"\nlisten = 0.0.0.0:8080\n\n",
        )
        .unwrap();
        let config = format!("--config={}", file.display());
        let line = with_config_file(args(&[
            "payer-server",
            "serve",
            &config,
            "--listen",
            "127.0.0.1:9",
        ]))
        .unwrap();
        let Command::Serve {
            database, listen, ..
        } = Cli::try_parse_from(line).unwrap().command
        else {
            panic!("not serve");
        };
        assert_eq!(database.database.as_deref(), Some("postgres://db/payer"));
        assert_eq!(listen, "127.0.0.1:9", "the command line wins");

        // Theme and member settings: a colour's `#` is a value, not a comment.
        std::fs::write(
            &file,
            "accent = #6b2c91\nlines-of-business = commercial,medicaid\nmfa = required\n\
             support-contact = \"Call 1-800-555-0100\"\n",
        )
        .unwrap();
        let line = with_config_file(args(&["payer-server", "serve", &config])).unwrap();
        let Command::Serve {
            members_sign_in, ..
        } = Cli::try_parse_from(line).unwrap().command
        else {
            panic!("not serve");
        };
        assert_eq!(members_sign_in.accent.as_deref(), Some("#6b2c91"));
        assert_eq!(
            members_sign_in.lines_of_business,
            [LineOfBusiness::Commercial, LineOfBusiness::Medicaid]
        );
        assert_eq!(members_sign_in.mfa, MfaPolicy::Required);
        assert_eq!(
            members_sign_in.support_contact.as_deref(),
            Some("Call 1-800-555-0100")
        );
        assert!(
            Cli::try_parse_from(["payer-server", "serve", "--mfa", "sometimes"]).is_err(),
            "an unknown policy is refused"
        );

        std::fs::write(&file, "listen 8080\n").unwrap();
        let error = with_config_file(args(&[
            "payer-server",
            "serve",
            "--config",
            file.to_str().unwrap(),
        ]))
        .unwrap_err();
        assert!(
            error.contains("payer.conf:1: expected `name = value`"),
            "{error}"
        );
        assert!(with_config_file(args(&["payer-server", "serve", "--config"])).is_err());
    }
}
