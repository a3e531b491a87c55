//! The 2-D pictures of the visualise endpoints: principal component analysis of a handful of
//! vectors (words, a move's ball and its steps), by nalgebra's symmetric eigen-decomposition of
//! their covariance. Pure: no I/O.

use nalgebra::{DMatrix, SymmetricEigen};

/// A picture: one `(x, y)` per input vector, in input order, and the share of the total
/// variance each of the two axes carries (each in `[0, 1]`, the first at least the second).
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub coords: Vec<(f32, f32)>,
    pub variance_explained: [f32; 2],
}

/// How many iterations the eigen solver may take before we give up (it converges in a few
/// dozen sweeps on 50x50 covariances; this only guards against a pathological input).
const MAX_ITERATIONS: usize = 10_000;

/// Project `rows` (equal-length vectors) onto their first two principal components.
///
/// Orientation is fixed, so the same input always gives the same picture: with `anchors =
/// Some((from, to))` the axes are flipped so that row `to` lies right of and above row `from`
/// (the target to the upper right of the start); otherwise so that the first row has
/// non-positive coordinates. Fewer than two distinct rows have no variance: every point is at
/// the origin and `variance_explained` is `[0, 0]`.
pub fn project(rows: &[&[f32]], anchors: Option<(usize, usize)>) -> Projection {
    let n = rows.len();
    let d = rows.first().map_or(0, |r| r.len());
    let flat = || Projection {
        coords: vec![(0.0, 0.0); n],
        variance_explained: [0.0, 0.0],
    };
    if n < 2 || d == 0 || rows.iter().any(|r| r.len() != d) {
        return flat();
    }
    // Centre the rows (f64 throughout: the covariance of near-identical vectors is small).
    let x = DMatrix::<f64>::from_fn(n, d, |i, j| rows[i][j] as f64);
    let mean = x.row_mean();
    let mut centred = x;
    for mut row in centred.row_iter_mut() {
        row -= &mean;
    }
    if centred.iter().any(|v| !v.is_finite()) {
        return flat();
    }
    let cov = (centred.transpose() * &centred) / (n as f64 - 1.0);
    let total: f64 = cov.diagonal().iter().sum();
    if total <= f64::EPSILON {
        return flat();
    }
    let Some(eig) = SymmetricEigen::try_new(cov, f64::EPSILON, MAX_ITERATIONS) else {
        return flat();
    };
    // Eigenvalues come unsorted; take the two largest.
    let mut order: Vec<usize> = (0..eig.eigenvalues.len()).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let mut axes = Vec::with_capacity(2);
    let mut explained = [0f32; 2];
    for (k, &c) in order.iter().take(2).enumerate() {
        let v = eig.eigenvectors.column(c);
        let mut coord: Vec<f64> = centred.row_iter().map(|r| r.dot(&v.transpose())).collect();
        let flip = match anchors {
            Some((from, to)) if from < n && to < n => coord[to] < coord[from],
            _ => coord[0] > 0.0,
        };
        if flip {
            coord.iter_mut().for_each(|c| *c = -*c);
        }
        axes.push(coord);
        // Rounding can leave a tiny negative eigenvalue on a flat axis.
        explained[k] = (eig.eigenvalues[c].max(0.0) / total).clamp(0.0, 1.0) as f32;
    }
    while axes.len() < 2 {
        axes.push(vec![0.0; n]);
    }
    Projection {
        coords: (0..n)
            .map(|i| (axes[0][i] as f32, axes[1][i] as f32))
            .collect(),
        variance_explained: explained,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn tiny_inputs_do_not_panic_and_stay_in_range() {
        let a = unit(&[1.0, 0.0, 0.0]);
        let b = unit(&[0.0, 1.0, 0.0]);
        assert_eq!(project(&[], None).coords, vec![]);
        let one = project(&[&a], None);
        assert_eq!(one.coords, vec![(0.0, 0.0)]);
        assert_eq!(one.variance_explained, [0.0, 0.0]);
        // Two identical points: no variance at all.
        let same = project(&[&a, &a], None);
        assert_eq!(same.variance_explained, [0.0, 0.0]);
        // Two points: one axis carries everything.
        let two = project(&[&a, &b], Some((0, 1)));
        assert!((two.variance_explained[0] - 1.0).abs() < 1e-5, "{two:?}");
        assert!(two.variance_explained[1].abs() < 1e-5);
        assert!(two.coords[1].0 > two.coords[0].0, "target right of start");
        // Distance is kept along the one axis: |a - b| = sqrt(2).
        let dx = two.coords[1].0 - two.coords[0].0;
        assert!((dx - 2f32.sqrt()).abs() < 1e-5, "{dx}");
        // Mismatched lengths are not a panic either.
        let odd = project(&[&a, &[1.0, 2.0]], None);
        assert_eq!(odd.variance_explained, [0.0, 0.0]);
    }

    #[test]
    fn the_plane_of_planar_points_is_recovered() {
        // Points in the x-y plane of 4-D space, spread more along x.
        let pts: Vec<Vec<f32>> = vec![
            vec![3.0, 0.0, 0.0, 0.0],
            vec![-3.0, 0.0, 0.0, 0.0],
            vec![0.0, 1.0, 0.0, 0.0],
            vec![0.0, -1.0, 0.0, 0.0],
        ];
        let rows: Vec<&[f32]> = pts.iter().map(|v| v.as_slice()).collect();
        let p = project(&rows, None);
        let [a, b] = p.variance_explained;
        assert!(
            (a + b - 1.0).abs() < 1e-5,
            "all the variance is in the plane"
        );
        assert!(a >= b && a > 0.85, "{a} {b}");
        // First point is put at negative x by the default orientation; distances hold.
        assert!((p.coords[0].0 + 3.0).abs() < 1e-4, "{:?}", p.coords);
        assert!((p.coords[2].1.abs() - 1.0).abs() < 1e-4, "{:?}", p.coords);
    }

    #[test]
    fn variance_is_descending_and_bounded_on_random_vectors() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in [2usize, 3, 5, 20, 120] {
            let pts: Vec<Vec<f32>> = (0..n)
                .map(|_| {
                    unit(
                        &(0..50)
                            .map(|_| rng.random_range(-1.0..1.0))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect();
            let rows: Vec<&[f32]> = pts.iter().map(|v| v.as_slice()).collect();
            let p = project(&rows, Some((0, n - 1)));
            let [a, b] = p.variance_explained;
            assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b));
            assert!(a >= b, "{a} {b}");
            assert!(a + b <= 1.0 + 1e-5);
            assert_eq!(p.coords.len(), n);
            assert!(p.coords.iter().all(|(x, y)| x.is_finite() && y.is_finite()));
            assert!(p.coords[n - 1].0 >= p.coords[0].0);
            assert!(p.coords[n - 1].1 >= p.coords[0].1);
        }
    }
}
