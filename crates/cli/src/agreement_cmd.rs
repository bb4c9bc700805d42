//! `truceline agreement …`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use truceline_zones::display::summarise;

#[derive(Subcommand)]
pub enum AgreementCommand {
    /// Check an agreement: exit 0 with a summary, or exit 1 with every problem located
    /// (file:line:column for TOML, file#/json/pointer for GeoJSON).
    Check {
        /// The agreement's TOML file ('-' for standard input); geometry files are read
        /// relative to its folder.
        file: PathBuf,
    },
}

impl AgreementCommand {
    pub fn run(self) -> anyhow::Result<ExitCode> {
        match self {
            AgreementCommand::Check { file } => check(&file),
        }
    }
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn check(file: &std::path::Path) -> anyhow::Result<ExitCode> {
    let a = match crate::load_agreement(file)? {
        Ok(a) => a,
        Err(diags) => {
            for d in diags.iter() {
                eprintln!("{d}");
            }
            eprintln!(
                "{}: {} problem(s); the agreement is not valid",
                file.display(),
                diags.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    let s = summarise(&a);
    println!("{}: valid", file.display());
    println!("agreement   {} — {}", a.id, a.title);
    if a.illustrative {
        println!("            ILLUSTRATIVE: not an official line");
    }
    if let Some(n) = &a.notice {
        println!("notice      {n}");
    }
    println!("in force    from {}", a.effective_from);
    println!("parties");
    for (id, name, km2) in &s.parties {
        println!("  {id:<10} {name:<40} {:>10} km²", thousands(*km2));
    }
    println!(
        "line        {:.1} km, {} vertices, between {} and {}",
        s.line_length_km,
        s.line_vertices,
        a.line_of_contact.between[0],
        a.line_of_contact.between[1]
    );
    println!("zones");
    for z in &s.zones {
        let extent = z
            .width_km
            .map_or("drawn area".to_string(), |w| format!("{w} km each side"));
        let sides: Vec<String> = a
            .parties
            .iter()
            .zip(&z.by_party_km2)
            .map(|(p, km2)| format!("{} {}", p.id, thousands(*km2)))
            .collect();
        println!(
            "  {:<34} {:<18} {:>10} km²  ({})",
            z.id,
            extent,
            thousands(z.area_km2),
            sides.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
