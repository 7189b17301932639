//! The YOLO dataset with images (not an SDK format): what Ultralytics trains on as it is.
//!
//! ```text
//! data.yaml                  train/val[/test] folders, nc, names (the label names)
//! images/train/{task}.jpg    the task's image
//! labels/train/{task}.txt    its rows, as the SDK's YOLO export writes them
//! images/val/… labels/val/…  (and test/ with three shares)
//! ```
//!
//! Each task's split is drawn from a hash of the seed and the task id alone, so exporting the
//! same tasks again (in any order, with more or fewer others) puts each in the same split.

use sha2::{Digest, Sha256};

/// The split names in order of their shares.
pub const SPLITS: [&str; 3] = ["train", "val", "test"];

/// Default shares: 80 % train, 20 % val.
pub const DEFAULT_SPLIT: [f64; 2] = [0.8, 0.2];

/// The shares, scaled to sum to 1.
pub fn normalized(shares: Option<&[f64]>) -> Vec<f64> {
    let s = shares.unwrap_or(&DEFAULT_SPLIT);
    let total: f64 = s.iter().sum();
    s.iter().map(|x| x / total).collect()
}

/// A stable number in [0, 1) for the task.
pub fn draw(seed: u64, task_id: &str) -> f64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(task_id.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    // 53 bits: exactly representable.
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// The index of the task's split among `shares` (normalised).
pub fn split_of(shares: &[f64], seed: u64, task_id: &str) -> usize {
    let x = draw(seed, task_id);
    let mut acc = 0.0;
    for (i, s) in shares.iter().enumerate() {
        acc += s;
        if x < acc {
            return i;
        }
    }
    // Rounding left x above the last bound: the last split with a share.
    shares.iter().rposition(|s| *s > 0.0).unwrap_or(0)
}

/// A YAML single-quoted scalar.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `data.yaml` for `splits` (the used split names) and the class names.
pub fn data_yaml(splits: &[&str], names: &[String]) -> String {
    let mut out = String::from(
        // No `path:` key: Ultralytics then reads the folders relative to this file's folder
        // (`path: .` would be the current directory of the training run).
        "# YOLO dataset exported by Lab Desk. The folders are relative to this file's folder.\n",
    );
    for s in splits {
        out.push_str(&format!("{s}: images/{s}\n"));
    }
    out.push_str(&format!("nc: {}\nnames:\n", names.len()));
    for (i, n) in names.iter().enumerate() {
        out.push_str(&format!("  {i}: {}\n", quoted(n)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_stable_and_follows_the_shares() {
        let shares = normalized(Some(&[70.0, 20.0, 10.0]));
        let mut counts = [0usize; 3];
        for i in 0..10_000 {
            counts[split_of(&shares, 42, &format!("task-{i}"))] += 1;
        }
        for (c, want) in counts.iter().zip([7000.0, 2000.0, 1000.0]) {
            assert!((*c as f64 - want).abs() < want * 0.08, "{counts:?}");
        }
        // Only the seed and the id matter.
        assert_eq!(split_of(&shares, 42, "abc"), split_of(&shares, 42, "abc"));
        let moved = (0..1000)
            .filter(|i| {
                let id = format!("t{i}");
                split_of(&shares, 1, &id) != split_of(&shares, 2, &id)
            })
            .count();
        assert!(moved > 200, "another seed gives another split ({moved})");
        assert_eq!(normalized(None), vec![0.8, 0.2]);
        let only_train = normalized(Some(&[1.0, 0.0]));
        assert!((0..100).all(|i| split_of(&only_train, 0, &i.to_string()) == 0));
    }

    #[test]
    fn yaml_names_every_split_and_class() {
        let y = data_yaml(&["train", "val"], &["cat".into(), "l'ours".into()]);
        assert_eq!(
            y,
            "# YOLO dataset exported by Lab Desk. The folders are relative to this file's folder.\ntrain: images/train\nval: images/val\nnc: 2\nnames:\n  0: 'cat'\n  1: 'l''ours'\n"
        );
    }
}
