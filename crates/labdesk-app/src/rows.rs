//! The task browser's rows live here, on the Rust side: a search fills a [`RowSet`] page by
//! page, and the page asks for the slice it shows ([`RowSet::range`], in the chosen order).
//! Sorting, counting, "select all matching" and the lookups of names and documents are
//! answered from the set, so 100,000 tasks never travel to the webview as one array.
//!
//! A set keeps every row's table fields (about 200 bytes a task) and the task documents
//! up to a byte budget; a document past the budget is read again from the lab when it is
//! asked for ([`RowSet::doc`] returns `None`, the caller fetches it by id).
//!
//! No Tauri here: the shell's commands call into this module.

use crate::model::{TaskQuery, TaskRow};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use ts_rs::TS;

/// Searches kept at once: the one shown and the one replacing it.
pub const MAX_SETS: usize = 2;
/// Task documents a set keeps in memory (compact JSON bytes).
pub const DOC_BUDGET: usize = 64 << 20;

/// A column the rows can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SortColumn {
    Name,
    Status,
    BatchId,
    LastAnnotator,
    Score,
    CreatedAt,
    UpdatedAt,
    Id,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SortDir {
    Asc,
    Desc,
}

/// An order of the rows: one column, blanks last whatever the direction, ties in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SortSpec {
    pub column: SortColumn,
    pub dir: SortDir,
}

/// A slice of a set's rows in the asked order.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RowRange {
    /// Index of `rows[0]` in the ordered set.
    pub start: u32,
    pub rows: Vec<TaskRow>,
    /// Rows in the set so far.
    pub count: u32,
    /// Every page of the search has arrived.
    pub done: bool,
}

/// The rows of one search.
#[derive(Debug, Default)]
pub struct RowSet {
    rows: Vec<TaskRow>,
    docs: Vec<Option<Box<str>>>,
    doc_bytes: usize,
    doc_budget: usize,
    by_id: HashMap<String, u32>,
    done: bool,
    /// The last order asked and how many rows it covered.
    order: Option<(SortSpec, Vec<u32>)>,
}

impl RowSet {
    pub fn with_budget(doc_budget: usize) -> Self {
        Self {
            doc_budget,
            ..Self::default()
        }
    }

    /// Adds one task: its table fields and, while the budget lasts, its document.
    /// A task already in the set (a page boundary moved under a concurrent change) is
    /// replaced, not listed twice.
    pub fn push(&mut self, row: TaskRow, doc: &str) {
        self.push_maybe(row, Some(doc));
    }

    /// [`RowSet::push`] of a row whose document may be elsewhere (`None`: read when needed).
    pub fn push_maybe(&mut self, row: TaskRow, doc: Option<&str>) {
        let text = doc
            .filter(|_| self.doc_bytes < self.doc_budget)
            .map(Box::<str>::from);
        let added = text.as_ref().map_or(0, |t| t.len());
        if let Some(&i) = self.by_id.get(&row.id) {
            let i = i as usize;
            if let Some(old) = &self.docs[i] {
                self.doc_bytes -= old.len();
            }
            self.doc_bytes += added;
            self.rows[i] = row;
            self.docs[i] = text;
            self.order = None;
            return;
        }
        self.doc_bytes += added;
        self.by_id.insert(row.id.clone(), self.rows.len() as u32);
        self.rows.push(row);
        self.docs.push(text);
    }

    pub fn finish(&mut self) {
        self.done = true;
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Indexes of the rows in `sort` order (arrival order without one). The order is kept
    /// and rebuilt only when rows arrived since.
    fn ordered(&mut self, sort: Option<SortSpec>) -> Option<&[u32]> {
        let spec = sort?;
        let fresh =
            matches!(&self.order, Some((s, idx)) if *s == spec && idx.len() == self.rows.len());
        if !fresh {
            let mut idx: Vec<u32> = (0..self.rows.len() as u32).collect();
            let rows = &self.rows;
            // stable: ties keep arrival order
            idx.sort_by(|&a, &b| compare(&rows[a as usize], &rows[b as usize], spec));
            self.order = Some((spec, idx));
        }
        self.order.as_ref().map(|(_, idx)| idx.as_slice())
    }

    /// Rows `start..end` (clamped) in `sort` order.
    pub fn range(&mut self, sort: Option<SortSpec>, start: u32, end: u32) -> RowRange {
        let count = self.rows.len() as u32;
        let start = start.min(count);
        let end = end.clamp(start, count);
        let picked: Option<Vec<u32>> = self
            .ordered(sort)
            .map(|idx| idx[start as usize..end as usize].to_vec());
        let rows = match picked {
            Some(idx) => idx.iter().map(|&i| self.rows[i as usize].clone()).collect(),
            None => self.rows[start as usize..end as usize].to_vec(),
        };
        RowRange {
            start,
            rows,
            count,
            done: self.done,
        }
    }

    /// Where task `id` is in `sort` order.
    pub fn position(&mut self, sort: Option<SortSpec>, id: &str) -> Option<u32> {
        let i = *self.by_id.get(id)?;
        match self.ordered(sort) {
            Some(idx) => idx.iter().position(|&x| x == i).map(|p| p as u32),
            None => Some(i),
        }
    }

    /// Every id of the set but `except`, in arrival order ("select all matching" minus the
    /// rows unticked since).
    pub fn ids_except(&self, except: &HashSet<String>) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| !except.contains(&r.id))
            .map(|r| r.id.clone())
            .collect()
    }

    /// The names of `ids` that are in the set.
    pub fn names(&self, ids: &[String]) -> HashMap<String, String> {
        ids.iter()
            .filter_map(|id| {
                let i = *self.by_id.get(id)?;
                Some((id.clone(), self.rows[i as usize].name.clone()))
            })
            .collect()
    }

    /// The table row of task `id`.
    pub fn row(&self, id: &str) -> Option<&TaskRow> {
        self.by_id.get(id).map(|&i| &self.rows[i as usize])
    }

    /// The document of task `id` as listed, when the set kept it.
    pub fn doc(&self, id: &str) -> Option<serde_json::Value> {
        let i = *self.by_id.get(id)? as usize;
        let text = self.docs[i].as_deref()?;
        serde_json::from_str(text).ok()
    }

    /// Replaces one task after an action changed it (its row and document).
    pub fn refresh(&mut self, row: TaskRow, doc: &str) {
        if self.by_id.contains_key(&row.id) {
            self.push(row, doc);
        }
    }

    pub fn doc_bytes(&self) -> usize {
        self.doc_bytes
    }
}

fn blank(s: &str) -> bool {
    s.is_empty()
}

/// `a` against `b` for one column; blanks always last, ties equal.
fn compare(a: &TaskRow, b: &TaskRow, spec: SortSpec) -> Ordering {
    let dir = |o: Ordering| match spec.dir {
        SortDir::Asc => o,
        SortDir::Desc => o.reverse(),
    };
    let text = |x: &str, y: &str| match (blank(x), blank(y)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => dir(natural(x, y)),
    };
    match spec.column {
        SortColumn::Name => text(&a.name, &b.name),
        SortColumn::Status => text(&a.status, &b.status),
        SortColumn::BatchId => text(&a.batch_id, &b.batch_id),
        SortColumn::LastAnnotator => text(
            a.last_annotator.as_deref().unwrap_or(""),
            b.last_annotator.as_deref().unwrap_or(""),
        ),
        SortColumn::CreatedAt => text(&a.created_at, &b.created_at),
        SortColumn::UpdatedAt => text(&a.updated_at, &b.updated_at),
        SortColumn::Id => text(&a.id, &b.id),
        SortColumn::Score => match (a.score, b.score) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => dir(x.total_cmp(&y)),
        },
    }
}

/// Natural, case-insensitive order: `img2` before `img10`, `a` with `A`.
pub fn natural(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(c) = x.next_if(char::is_ascii_digit) {
                    n.push(c);
                }
                let mut m = String::new();
                while let Some(d) = y.next_if(char::is_ascii_digit) {
                    m.push(d);
                }
                let (n, m) = (n.trim_start_matches('0'), m.trim_start_matches('0'));
                let o = n.len().cmp(&m.len()).then_with(|| n.cmp(m));
                if o != Ordering::Equal {
                    return o;
                }
            }
            (Some(c), Some(d)) => {
                let o = c.to_lowercase().cmp(d.to_lowercase());
                if o != Ordering::Equal {
                    return o;
                }
                x.next();
                y.next();
            }
        }
    }
}

/// One search: what was asked and the rows found so far.
pub struct Search {
    pub query: TaskQuery,
    set: Mutex<RowSet>,
}

impl Search {
    /// The rows, to read or fill (a panic elsewhere leaves them readable).
    pub fn rows(&self) -> std::sync::MutexGuard<'_, RowSet> {
        self.set.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The searches of the window, newest last; an old one goes when a new one begins.
#[derive(Default)]
pub struct RowStore {
    sets: Mutex<VecDeque<(String, Arc<Search>)>>,
}

impl RowStore {
    /// A new empty set for search `id`.
    pub fn begin(&self, id: &str, query: TaskQuery) -> Arc<Search> {
        let search = Arc::new(Search {
            query,
            set: Mutex::new(RowSet::with_budget(DOC_BUDGET)),
        });
        let mut sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.retain(|(k, _)| k != id);
        while sets.len() >= MAX_SETS {
            sets.pop_front();
        }
        sets.push_back((id.to_string(), search.clone()));
        search
    }

    pub fn get(&self, id: &str) -> Option<Arc<Search>> {
        let sets = self.sets.lock().unwrap_or_else(|p| p.into_inner());
        sets.iter().find(|(k, _)| k == id).map(|(_, s)| s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(id: &str, name: &str, score: Option<f64>) -> TaskRow {
        TaskRow {
            id: id.into(),
            name: name.into(),
            status: "pending".into(),
            batch_id: "b".into(),
            created_at: String::new(),
            updated_at: String::new(),
            last_annotator: None,
            score,
        }
    }

    fn names(r: &RowRange) -> Vec<&str> {
        r.rows.iter().map(|r| r.name.as_str()).collect()
    }

    fn filled() -> RowSet {
        let mut s = RowSet::with_budget(DOC_BUDGET);
        for (i, (n, sc)) in [
            ("img10", Some(0.5)),
            ("Img2", None),
            ("img1", Some(2.0)),
            ("", Some(1.0)),
        ]
        .into_iter()
        .enumerate()
        {
            s.push(
                row(&format!("t{i}"), n, sc),
                &json!({"_id": format!("t{i}")}).to_string(),
            );
        }
        s
    }

    #[test]
    fn natural_order_is_numeric_and_case_insensitive() {
        assert_eq!(natural("img2", "img10"), Ordering::Less);
        assert_eq!(natural("Img2", "img10"), Ordering::Less);
        assert_eq!(natural("a", "B"), Ordering::Less);
        // equal numbers: the plain text decides, so the order is total
        assert_eq!(natural("x007", "x7"), Ordering::Less);
        assert_eq!(natural("b", "a"), Ordering::Greater);
    }

    #[test]
    fn ranges_follow_the_order_with_blanks_last_both_ways() {
        let mut s = filled();
        let asc = SortSpec {
            column: SortColumn::Name,
            dir: SortDir::Asc,
        };
        assert_eq!(
            names(&s.range(Some(asc), 0, 10)),
            ["img1", "Img2", "img10", ""]
        );
        let desc = SortSpec {
            column: SortColumn::Name,
            dir: SortDir::Desc,
        };
        assert_eq!(
            names(&s.range(Some(desc), 0, 10)),
            ["img10", "Img2", "img1", ""]
        );
        let score = SortSpec {
            column: SortColumn::Score,
            dir: SortDir::Desc,
        };
        assert_eq!(
            names(&s.range(Some(score), 0, 10)),
            ["img1", "", "img10", "Img2"]
        );
        // arrival order without a sort; a slice is clamped
        let r = s.range(None, 1, 99);
        assert_eq!(
            (r.start, r.count, names(&r)),
            (1, 4, vec!["Img2", "img1", ""])
        );
        assert_eq!(s.range(None, 9, 12).rows.len(), 0);
    }

    #[test]
    fn the_order_follows_rows_that_arrive_later() {
        let mut s = filled();
        let asc = SortSpec {
            column: SortColumn::Name,
            dir: SortDir::Asc,
        };
        assert_eq!(s.range(Some(asc), 0, 1).rows[0].name, "img1");
        s.push(row("t9", "img0", None), "{}");
        assert_eq!(s.range(Some(asc), 0, 1).rows[0].name, "img0");
        assert_eq!(s.position(Some(asc), "t9"), Some(0));
        assert_eq!(s.position(None, "t9"), Some(4));
    }

    #[test]
    fn a_task_listed_twice_is_one_row() {
        let mut s = filled();
        s.push(row("t1", "renamed", None), r#"{"v":2}"#);
        assert_eq!(s.len(), 4);
        assert_eq!(s.row("t1").map(|r| r.name.as_str()), Some("renamed"));
        assert_eq!(s.doc("t1"), Some(json!({"v": 2})));
    }

    #[test]
    fn documents_past_the_budget_are_not_kept() {
        let mut s = RowSet::with_budget(40);
        let doc = json!({"data": "x".repeat(30)});
        s.push(row("a", "a", None), &doc.to_string());
        s.push(row("b", "b", None), &doc.to_string());
        assert_eq!(s.doc("a"), Some(doc));
        assert_eq!(s.doc("b"), None, "over budget: read again from the lab");
        assert!(s.doc_bytes() < 80);
    }

    #[test]
    fn select_all_but_and_names() {
        let s = filled();
        let except: HashSet<String> = ["t1".to_string()].into();
        assert_eq!(s.ids_except(&except), ["t0", "t2", "t3"]);
        let n = s.names(&["t2".into(), "nope".into()]);
        assert_eq!(n.len(), 1);
        assert_eq!(n["t2"], "img1");
    }

    #[test]
    fn the_store_keeps_the_newest_searches() {
        let store = RowStore::default();
        let q = || TaskQuery {
            filter: lab_client::TaskFilter::new("p"),
            view: crate::model::TaskView::Lab,
        };
        store.begin("a", q());
        store.begin("b", q());
        store.begin("c", q());
        assert!(store.get("a").is_none());
        assert!(store.get("b").is_some() && store.get("c").is_some());
    }
}
