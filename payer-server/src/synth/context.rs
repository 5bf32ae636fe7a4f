//! The state shared while one member's records are written: the random stream, the
//! directory, the plan-year accumulators, resource ids and the output.

use fhir_model::Resource;

use super::benefits::{self, Accumulators, Benefit, LineAmounts, LineRequest};
use super::calendar::Day;
use super::directory::Directory;
use super::member::MemberProfile;
use super::rng::Rng;

/// One member's generation state.
pub(crate) struct MemberContext<'a> {
    /// The member.
    pub(crate) member: &'a MemberProfile,
    /// The provider directory.
    pub(crate) directory: &'a Directory,
    /// The member's random stream.
    pub(crate) rng: Rng,
    /// The first day of the period.
    pub(crate) start: Day,
    /// The last day of the period (`Config::end_date`): nothing is dated later.
    pub(crate) end: Day,
    /// Whether to write prior authorizations.
    pub(crate) prior_authorizations: bool,
    accumulators: Accumulators,
    counters: Vec<(&'static str, usize)>,
    resources: Vec<Resource>,
}

impl<'a> MemberContext<'a> {
    /// A fresh context for `member`.
    pub(crate) fn new(
        member: &'a MemberProfile,
        directory: &'a Directory,
        rng: Rng,
        (start, end): (Day, Day),
        prior_authorizations: bool,
    ) -> MemberContext<'a> {
        MemberContext {
            member,
            directory,
            rng,
            start,
            end,
            prior_authorizations,
            accumulators: Accumulators::default(),
            counters: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// The next id with `prefix` for this member: `eob-0003-012`.
    pub(crate) fn next_id(&mut self, prefix: &'static str) -> String {
        let count = match self.counters.iter_mut().find(|(p, _)| *p == prefix) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                self.counters.push((prefix, 1));
                1
            }
        };
        format!("{prefix}-{:04}-{count:03}", self.member.number)
    }

    /// How many ids with `prefix` were handed out.
    pub(crate) fn count(&self, prefix: &str) -> usize {
        self.counters
            .iter()
            .find(|(p, _)| *p == prefix)
            .map_or(0, |(_, count)| *count)
    }

    /// Adds a resource to the member's output.
    pub(crate) fn push(&mut self, resource: impl Into<Resource>) {
        self.resources.push(resource.into());
    }

    /// The member's resources, in the order written.
    pub(crate) fn into_resources(self) -> Vec<Resource> {
        self.resources
    }

    /// `day`, or the end of the period if later.
    pub(crate) fn clamp(&self, day: Day) -> Day {
        day.min(self.end)
    }

    /// A day `low..=high` days after `day`, no later than the end of the period.
    pub(crate) fn days_after(&mut self, day: Day, low: i64, high: i64) -> Day {
        let offset = self.rng.range(low, high);
        self.clamp(day.plus(offset))
    }

    /// A random time of day, in minutes after midnight, within business hours.
    pub(crate) fn business_minute(&mut self) -> u32 {
        // 08:00 to 17:59 UTC; the range is small and positive.
        self.rng.range(8 * 60, 18 * 60 - 1) as u32
    }

    /// Adjudicates one line against the member's plan.
    pub(crate) fn adjudicate(
        &mut self,
        benefit: Benefit,
        submitted: i64,
        in_network: bool,
        denied: bool,
        day: Day,
    ) -> LineAmounts {
        benefits::adjudicate(
            self.member.plan,
            &mut self.accumulators,
            LineRequest {
                benefit,
                submitted,
                in_network,
                denied,
                year: day.year(),
            },
            &mut self.rng,
        )
    }
}
