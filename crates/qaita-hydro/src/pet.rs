//! Potential evapotranspiration by Oudin et al. (2005, J. Hydrol. 303:290-306): temperature
//! and extraterrestrial radiation only, PE = Re / (λ ρ) · (T + 5) / 100 when T > -5 °C, else 0.
//! Extraterrestrial radiation follows the formulation airGR's `PE_Oudin` uses (declination and
//! Earth-Sun distance from the day of the year, sunset hour angle from the latitude).

/// Daily potential evapotranspiration (mm/d) at latitude `lat_deg` (degrees north), on day of
/// the year `day` (1..=366), for mean air temperature `t` (°C). A missing temperature (NaN)
/// gives a missing value.
pub fn oudin(lat_deg: f64, day: u32, t: f64) -> f64 {
    if t.is_nan() {
        return f64::NAN;
    }
    let fi = lat_deg.to_radians();
    let cos_fi = fi.cos();
    let jd = day as f64;
    // Declination, rad.
    let teta = 0.4093 * (jd / 58.1 - 1.405).sin();
    let cos_teta = teta.cos();
    let cos_gz = (fi - teta).cos().max(0.001);
    // Sunset hour angle.
    let cos_om = (1.0 - cos_gz / cos_fi / cos_teta).clamp(-1.0, 1.0);
    let om = cos_om.acos();
    let cos_om2 = cos_om * cos_om;
    let sin_om = if cos_om2 >= 1.0 {
        0.0
    } else {
        (1.0 - cos_om2).sqrt()
    };
    let cos_pz = if om > 0.0 {
        (cos_gz + cos_fi * cos_teta * (sin_om / om - 1.0)).max(0.001)
    } else {
        0.001
    };
    // Relative Earth-Sun distance.
    let eta = 1.0 + (jd / 58.1).cos() / 30.0;
    // Extraterrestrial radiation, expressed as evaporable water (mm/d before the factor).
    let ge = 446.0 * om * cos_pz * eta;
    if t + 5.0 > 0.0 {
        (ge * (t + 5.0) / 100.0 / 28.5).max(0.0)
    } else {
        0.0
    }
}

/// Oudin PET for a daily series starting on `first_day` of the year (1-based), leap years
/// given by `leap(year_index)`; convenience over [`oudin`] for whole series.
pub fn oudin_series(lat_deg: f64, days_of_year: &[u32], temperature: &[f64]) -> Vec<f64> {
    days_of_year
        .iter()
        .zip(temperature)
        .map(|(&d, &t)| oudin(lat_deg, d, t))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::oudin;

    #[test]
    fn cold_days_evaporate_nothing_and_summer_more_than_winter() {
        assert_eq!(oudin(50.6, 20, -6.0), 0.0);
        assert!(oudin(50.6, 180, 15.0) > 3.0 * oudin(50.6, 355, 15.0));
        assert!(oudin(50.6, 180, 20.0) > oudin(50.6, 180, 10.0));
        assert!(oudin(50.6, 180, f64::NAN).is_nan());
    }
}
