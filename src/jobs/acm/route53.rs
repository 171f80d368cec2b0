//! Route 53 for ACM validation: which public zone holds each name, checked before any write.

use super::*;

/// The public zone with the longest suffix match for `name`.
pub(crate) fn zone_for<'z>(
    zones: &'z [HostedZone],
    name: &str,
) -> Result<&'z HostedZone, AcmError> {
    let name = name
        .trim_start_matches("*.")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let matches = |z: &&HostedZone| name == z.name || name.ends_with(&format!(".{}", z.name));
    let best_public = zones
        .iter()
        .filter(|z| !z.private)
        .filter(matches)
        .max_by_key(|z| z.name.len());
    match best_public {
        Some(z) => Ok(z),
        None => match zones.iter().filter(matches).max_by_key(|z| z.name.len()) {
            Some(z) => Err(AcmError::PrivateZone {
                id: z.id.clone(),
                name: z.name.clone(),
            }),
            None => Err(AcmError::NoZone(name)),
        },
    }
}

/// Where each name's validation record goes: every zone is looked up (and refused when
/// unknown, private or not holding the name) before anything is written.
pub(super) fn plan_zones(
    dns: &dyn Dns,
    zone_arg: &str,
    names: &[String],
) -> Result<Vec<(String, HostedZone)>, AcmError> {
    let zones = dns.list_hosted_zones()?;
    let explicit = if zone_arg == "auto" {
        None
    } else {
        let id = zone_arg.trim_start_matches("/hostedzone/");
        let z = zones
            .iter()
            .find(|z| z.id == id)
            .ok_or_else(|| AcmError::ZoneNotFound(zone_arg.to_string()))?;
        if z.private {
            return Err(AcmError::PrivateZone {
                id: z.id.clone(),
                name: z.name.clone(),
            });
        }
        Some(z.clone())
    };
    names
        .iter()
        .map(|n| {
            let zone = match &explicit {
                None => zone_for(&zones, n)?.clone(),
                Some(z) => {
                    let bare = n.trim_start_matches("*.").to_ascii_lowercase();
                    if bare != z.name && !bare.ends_with(&format!(".{}", z.name)) {
                        return Err(AcmError::NameOutsideZone {
                            name: n.clone(),
                            zone_id: z.id.clone(),
                            zone_name: z.name.clone(),
                        });
                    }
                    z.clone()
                }
            };
            Ok((n.to_ascii_lowercase(), zone))
        })
        .collect()
}
