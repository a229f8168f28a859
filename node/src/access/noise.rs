//! Exact discrete Laplace noise (Canonne, Kamath, Steinke: "The Discrete Gaussian for
//! Differential Privacy", NeurIPS 2020, Algorithms 1 and 2).
//!
//! The sampler uses only integer arithmetic and uniform integers drawn from the caller's
//! random generator (the node passes a ChaCha20 stream, a cryptographically secure
//! generator), so it has none of the floating-point weaknesses of textbook Laplace noise
//! (Mironov 2012): every integer `x` comes out with probability exactly
//! `(1 - p) / (1 + p) * p^|x|`, `p = exp(-1 / scale)`.

use rand::{Rng, RngCore};

/// A noise scale as an exact fraction `numerator / denominator`, both at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scale {
    numerator: u64,
    denominator: u64,
}

impl Scale {
    /// The largest scale there is.
    pub const MAX: Scale = Scale {
        numerator: u64::MAX,
        denominator: 1,
    };

    /// The scale `numerator / denominator`; `None` if either is 0.
    pub fn new(numerator: u64, denominator: u64) -> Option<Self> {
        (numerator >= 1 && denominator >= 1).then_some(Self {
            numerator,
            denominator,
        })
    }

    /// The scale as a float (for reports; sampling never uses it).
    pub fn as_f64(self) -> f64 {
        self.numerator as f64 / self.denominator as f64
    }
}

/// `true` with probability `numerator / denominator` (`numerator <= denominator`).
fn bernoulli<R: RngCore + ?Sized>(rng: &mut R, numerator: u128, denominator: u128) -> bool {
    rng.gen_range(0..denominator) < numerator
}

/// `true` with probability `exp(-numerator / denominator)` (CKS20, Algorithm 1).
fn bernoulli_exp<R: RngCore + ?Sized>(rng: &mut R, numerator: u128, denominator: u128) -> bool {
    if numerator <= denominator {
        // gamma in [0, 1]: count how long Bernoulli(gamma / k) keeps succeeding.
        let mut k: u128 = 1;
        while bernoulli(rng, numerator, denominator * k) {
            k += 1;
        }
        return k % 2 == 1;
    }
    for _ in 0..numerator / denominator {
        if !bernoulli_exp(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp(rng, numerator % denominator, denominator)
}

/// One draw of discrete Laplace noise with `scale` (CKS20, Algorithm 2).
pub fn discrete_laplace<R: RngCore + ?Sized>(rng: &mut R, scale: Scale) -> i64 {
    // The algorithm samples DLap(t / s).
    let t = u128::from(scale.numerator);
    let s = u128::from(scale.denominator);
    loop {
        let u = rng.gen_range(0..t);
        if !bernoulli_exp(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp(rng, 1, 1) {
            v += 1;
        }
        let y = (u + t * v) / s;
        let negative = bernoulli(rng, 1, 2);
        if negative && y == 0 {
            continue;
        }
        let y = i64::try_from(y).unwrap_or(i64::MAX);
        return if negative { -y } else { y };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `E|X|` of DLap(scale): `2p / (1 - p^2)`, `p = exp(-1/scale)`.
    fn mean_absolute(scale: f64) -> f64 {
        let p = (-1.0 / scale).exp();
        2.0 * p / (1.0 - p * p)
    }

    #[test]
    fn bernoulli_of_an_exponential_has_its_probability() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for (n, d) in [(1u128, 2u128), (3, 2), (5, 1), (0, 7)] {
            let hits = (0..40_000)
                .filter(|_| bernoulli_exp(&mut rng, n, d))
                .count();
            let expected = (-(n as f64) / d as f64).exp();
            let observed = hits as f64 / 40_000.0;
            assert!(
                (observed - expected).abs() < 0.01,
                "exp(-{n}/{d}): {observed} vs {expected}"
            );
        }
    }

    #[test]
    fn draws_follow_the_discrete_laplace_distribution() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for (numerator, denominator) in [(1, 2), (3, 1), (7, 2), (2_048_000_000, 1_000_000)] {
            let scale = Scale::new(numerator, denominator).unwrap();
            let draws: Vec<i64> = (0..20_000)
                .map(|_| discrete_laplace(&mut rng, scale))
                .collect();
            let b = scale.as_f64();
            let mean = draws.iter().sum::<i64>() as f64 / draws.len() as f64;
            let mae = draws.iter().map(|x| x.unsigned_abs() as f64).sum::<f64>() / 20_000.0;
            assert!(
                (mae / mean_absolute(b) - 1.0).abs() < 0.05,
                "scale {b}: E|X| {mae} vs {}",
                mean_absolute(b)
            );
            assert!(mean.abs() < 0.05 * b.max(1.0), "scale {b}: mean {mean}");
            // P(X = 0) = (1 - p) / (1 + p).
            let p = (-1.0 / b).exp();
            let zeros = draws.iter().filter(|x| **x == 0).count() as f64 / 20_000.0;
            assert!(
                (zeros - (1.0 - p) / (1.0 + p)).abs() < 0.01,
                "scale {b}: P(0) {zeros}"
            );
        }
    }

    #[test]
    fn the_same_stream_gives_the_same_noise() {
        let scale = Scale::new(5, 1).unwrap();
        let draw = |seed| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            (0..10)
                .map(|_| discrete_laplace(&mut rng, scale))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
        assert!(Scale::new(0, 1).is_none() && Scale::new(1, 0).is_none());
    }
}
