//! Drawing an [`Overlay`] onto an image of any size (its coordinates are normalised).
//!
//! Mask layers first, alpha blended; then the outline of every shape of the frame, opaque, in
//! its label's colour, with a line width that follows the image size ([`line_width`]); graph
//! keypoints as filled dots joined by their edges. Thick lines are filled quadrilaterals
//! with round joins (imageproc's polygons and circles).

use crate::overlay::{Geometry, MaskLayer, Overlay, fallback_color, parse_color};
use base64::Engine;
use image::{ImageFormat, Rgba, RgbaImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_polygon_mut};
use imageproc::point::Point;

/// The outline width in pixels for an image: 1/400 of its longer side, at least 2 px
/// (2 px on a 256-px thumbnail, 10 px on a 4000-px photo).
pub fn line_width(width: u32, height: u32) -> f32 {
    (width.max(height) as f32 / 400.0).max(2.0)
}

/// Draws `overlay`'s masks and shapes of `frame` on `img`, leaving out the labels for which
/// `hidden(label_id)` is true. Unreadable mask layers and colours are skipped or replaced,
/// never a panic.
pub fn draw(img: &mut RgbaImage, overlay: &Overlay, frame: u32, hidden: &dyn Fn(&str) -> bool) {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return;
    }
    for layer in &overlay.masks {
        if layer.frame == frame && !hidden(&layer.label_id) {
            blend_layer(img, layer);
        }
    }
    let width = line_width(w, h);
    let half = width / 2.0;
    let dot = (width * 1.5).max(3.0);
    let (fw, fh) = (w as f32, h as f32);
    // Far-away junk points are pulled in so that pixel arithmetic cannot overflow.
    let px = |p: &[f64; 2]| -> (f32, f32) {
        (
            (p[0] as f32).clamp(-1.0, 2.0) * fw,
            (p[1] as f32).clamp(-1.0, 2.0) * fh,
        )
    };
    for shape in &overlay.shapes {
        if shape.frame != frame || hidden(&shape.label_id) {
            continue;
        }
        let rgb = parse_color(&shape.color).unwrap_or_else(|| fallback_color(&shape.label_id));
        let color = Rgba([rgb[0], rgb[1], rgb[2], 255]);
        match &shape.geometry {
            Geometry::Rectangle { x0, y0, x1, y1 } => {
                let (a, b) = (px(&[*x0, *y0]), px(&[*x1, *y1]));
                let corners = [a, (b.0, a.1), b, (a.0, b.1)];
                thick_path(img, &corners, true, half, color);
            }
            Geometry::Polygon { points } => {
                let pts: Vec<(f32, f32)> = points.iter().map(px).collect();
                thick_path(img, &pts, true, half, color);
            }
            Geometry::Polyline { points } => {
                let pts: Vec<(f32, f32)> = points.iter().map(px).collect();
                thick_path(img, &pts, false, half, color);
            }
            Geometry::Graph { points, edges } => {
                let pts: Vec<(f32, f32)> = points.iter().map(px).collect();
                for [i, j] in edges {
                    if let (Some(a), Some(b)) = (pts.get(*i as usize), pts.get(*j as usize)) {
                        thick_path(img, &[*a, *b], false, half, color);
                    }
                }
                for p in &pts {
                    disc(img, *p, dot, color);
                }
            }
        }
    }
}

/// A filled disc of `radius` pixels around `c`.
fn disc(img: &mut RgbaImage, c: (f32, f32), radius: f32, color: Rgba<u8>) {
    draw_filled_circle_mut(
        img,
        (c.0.round() as i32, c.1.round() as i32),
        radius.round().max(1.0) as i32,
        color,
    );
}

/// The segments between consecutive points (and back to the first when `closed`), each a
/// filled quadrilateral `2 × half` wide, with a disc at every point for round joins.
fn thick_path(img: &mut RgbaImage, pts: &[(f32, f32)], closed: bool, half: f32, color: Rgba<u8>) {
    let n = pts.len();
    let segments = if closed && n > 2 {
        n
    } else {
        n.saturating_sub(1)
    };
    for k in 0..segments {
        let (a, b) = (pts[k], pts[(k + 1) % n]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len = (dx * dx + dy * dy).sqrt();
        if len >= 0.5 {
            let (nx, ny) = (-dy / len * half, dx / len * half);
            let p = |x: f32, y: f32| Point::new(x.round() as i32, y.round() as i32);
            let quad = [
                p(a.0 + nx, a.1 + ny),
                p(b.0 + nx, b.1 + ny),
                p(b.0 - nx, b.1 - ny),
                p(a.0 - nx, a.1 - ny),
            ];
            draw_polygon_mut(img, &quad, color);
        }
    }
    if half >= 1.5 || n == 1 {
        for p in pts {
            disc(img, *p, half, color);
        }
    }
}

/// The RGBA image of a layer's PNG data URI.
pub(crate) fn decode_layer(layer: &MaskLayer) -> Option<RgbaImage> {
    let (_, b64) = layer.png.split_once(',')?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    image::load_from_memory_with_format(&bytes, ImageFormat::Png)
        .ok()
        .map(|i| i.to_rgba8())
}

/// Alpha-blends a mask layer stretched over the whole image (nearest pixel).
fn blend_layer(img: &mut RgbaImage, layer: &MaskLayer) {
    let decoded;
    let mask: &RgbaImage = match &layer.raster {
        Some(r) => r,
        None => match decode_layer(layer) {
            Some(m) => {
                decoded = m;
                &decoded
            }
            None => return,
        },
    };
    let (w, h) = img.dimensions();
    let (mw, mh) = mask.dimensions();
    if mw == 0 || mh == 0 {
        return;
    }
    let cols: Vec<u32> = (0..w)
        .map(|x| (u64::from(x) * u64::from(mw) / u64::from(w)) as u32)
        .collect();
    for y in 0..h {
        let my = (u64::from(y) * u64::from(mh) / u64::from(h)) as u32;
        for (x, &mx) in cols.iter().enumerate() {
            let src = mask.get_pixel(mx, my).0;
            let a = u32::from(src[3]);
            if a == 0 {
                continue;
            }
            let dst = img.get_pixel_mut(x as u32, y);
            for (d, s) in dst.0.iter_mut().zip(src).take(3) {
                *d = ((u32::from(s) * a + u32::from(*d) * (255 - a) + 127) / 255) as u8;
            }
            let da = u32::from(dst.0[3]);
            dst.0[3] = (a + (da * (255 - a) + 127) / 255).min(255) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::overlay::tests::{config, task};
    use crate::overlay::{Overlay, Shape, Tool, overlays};
    use serde_json::json;

    const GREY: Rgba<u8> = Rgba([128, 128, 128, 255]);
    const RED: Rgba<u8> = Rgba([0xe6, 0x19, 0x4b, 255]);

    fn rect_overlay(labels: &[(&str, [f64; 4])]) -> Overlay {
        let cfg = config("iat-rectangle", &["car", "pedestrian"]);
        let annotations: Vec<_> = labels
            .iter()
            .map(|(l, v)| {
                json!({"labels": {"objects": {"labels": [{"id": l, "name": l}]}},
                       "polygons": [{"geometry": {"type": "rectangle", "vertices": v}}]})
            })
            .collect();
        overlays(&task(json!({"annotations": annotations})), &cfg)
            .tools
            .remove(0)
    }

    #[test]
    fn rectangle_edges_take_the_label_colour_and_the_inside_is_unchanged() {
        let ov = rect_overlay(&[("car", [0.25, 0.25, 0.75, 0.75])]);
        let mut img = RgbaImage::from_pixel(256, 256, GREY);
        draw(&mut img, &ov, 0, &|_| false);
        // Left edge at x = 64, top edge at y = 64, right at 192.
        assert_eq!(img.get_pixel(64, 128), &RED);
        assert_eq!(img.get_pixel(128, 64), &RED);
        assert_eq!(img.get_pixel(192, 100), &RED);
        assert_eq!(img.get_pixel(128, 128), &GREY, "middle untouched");
        assert_eq!(img.get_pixel(10, 10), &GREY, "outside untouched");
        // At least 2 px wide on a 256-px image.
        let red_cols = (58..70).filter(|&x| img.get_pixel(x, 128) == &RED).count();
        assert!(red_cols >= 2, "{red_cols} px");
    }

    #[test]
    fn hidden_labels_and_other_frames_are_not_drawn() {
        let ov = rect_overlay(&[
            ("car", [0.25, 0.25, 0.75, 0.75]),
            ("pedestrian", [0.1, 0.1, 0.2, 0.2]),
        ]);
        let before = RgbaImage::from_pixel(256, 256, GREY);
        let mut img = before.clone();
        draw(&mut img, &ov, 0, &|_| true);
        assert_eq!(img, before);
        let mut img = before.clone();
        draw(&mut img, &ov, 1, &|_| false);
        assert_eq!(img, before, "no shape on frame 1");
        let mut img = before.clone();
        draw(&mut img, &ov, 0, &|id| id == "car");
        assert_eq!(img.get_pixel(64, 128), &GREY);
        assert_eq!(img.get_pixel(0x1a, 0x1a), &Rgba([0x3c, 0xb4, 0x4b, 255]));
    }

    #[test]
    fn masks_blend_and_graphs_get_dots() {
        let cfg = config("iat-segmentation", &["crop"]);
        let mut mask = image::RgbImage::new(10, 10);
        for y in 0..5 {
            for x in 0..5 {
                mask.put_pixel(x, y, image::Rgb([2, 0, 1]));
            }
        }
        let mut png = std::io::Cursor::new(Vec::new());
        mask.write_to(&mut png, ImageFormat::Png).unwrap();
        let uri = format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png.into_inner())
        );
        let t = json!({"data": {"body": {"mask": uri, "annotations": [
            {"labels": {"objects": {"labels": [{"id": "crop"}]}}, "polygons": [2, 0, 1]}]}}});
        let ov = overlays(&t, &cfg).tools.remove(0);
        assert_eq!(ov.masks.len(), 1);
        let mut img = RgbaImage::from_pixel(100, 100, Rgba([0, 0, 0, 255]));
        draw(&mut img, &ov, 0, &|_| false);
        let p = img.get_pixel(20, 20).0;
        assert!(p[0].abs_diff(0xe6 / 2) <= 2 && p[3] == 255, "{p:?}");
        assert_eq!(img.get_pixel(70, 70), &Rgba([0, 0, 0, 255]));
        let mut hidden = RgbaImage::from_pixel(100, 100, Rgba([0, 0, 0, 255]));
        draw(&mut hidden, &ov, 0, &|_| true);
        assert_eq!(hidden.get_pixel(20, 20), &Rgba([0, 0, 0, 255]));
        // made for drawing in Rust: pixels, no PNG, and the same picture
        let raw = crate::overlay::overlays_for_drawing(&t, &cfg)
            .tools
            .remove(0);
        assert_eq!(raw.masks.len(), 1);
        assert!(raw.masks[0].png.is_empty() && raw.masks[0].raster.is_some());
        let mut from_raw = RgbaImage::from_pixel(100, 100, Rgba([0, 0, 0, 255]));
        draw(&mut from_raw, &raw, 0, &|_| false);
        assert_eq!(from_raw, img);
        // and the window never receives the pixels
        let sent = serde_json::to_value(&raw.masks[0]).unwrap();
        assert_eq!(sent.as_object().unwrap().len(), 3, "{sent}");

        let graph = Overlay {
            tool: Tool::Graph,
            shapes: vec![Shape {
                label_id: "p".into(),
                name: "p".into(),
                color: "#00ff00".into(),
                frame: 0,
                uid: None,
                geometry: Geometry::Graph {
                    points: vec![[0.2, 0.5], [0.8, 0.5]],
                    edges: vec![[0, 1], [0, 7]],
                },
            }],
            masks: vec![],
            ..ov
        };
        let mut img = RgbaImage::from_pixel(100, 100, GREY);
        draw(&mut img, &graph, 0, &|_| false);
        let green = Rgba([0, 255, 0, 255]);
        assert_eq!(img.get_pixel(50, 50), &green, "edge");
        assert_eq!(img.get_pixel(20, 47), &green, "dot wider than the line");
        assert_eq!(img.get_pixel(50, 45), &GREY);
    }

    #[test]
    fn junk_geometry_does_not_panic() {
        let shape = |geometry| Shape {
            label_id: "x".into(),
            name: "x".into(),
            color: "not a colour".into(),
            frame: 0,
            uid: None,
            geometry,
        };
        let mut ov = rect_overlay(&[]);
        ov.shapes = vec![
            shape(Geometry::Polygon {
                points: vec![[1e30, -1e30], [f64::NAN, 0.5], [0.5, f64::INFINITY]],
            }),
            shape(Geometry::Polyline {
                points: vec![[0.5, 0.5]],
            }),
            shape(Geometry::Polygon { points: vec![] }),
            shape(Geometry::Rectangle {
                x0: 0.5,
                y0: 0.5,
                x1: 0.5,
                y1: 0.5,
            }),
        ];
        ov.masks = vec![MaskLayer {
            label_id: "x".into(),
            frame: 0,
            png: "data:image/png;base64,@@".into(),
            raster: None,
        }];
        let mut img = RgbaImage::from_pixel(50, 30, GREY);
        draw(&mut img, &ov, 0, &|_| false);
        draw(&mut RgbaImage::new(0, 0), &ov, 0, &|_| false);
        let mut tiny = RgbaImage::new(1, 1);
        draw(&mut tiny, &ov, 0, &|_| false);
    }

    /// Correctness only (speed is measured elsewhere): 200 annotations on a 4000×3000 image.
    #[test]
    fn draws_200_annotations_on_a_large_image() {
        let cfg = config("iat-polygon", &["building", "tree", "road", "water"]);
        let annotations: Vec<_> = (0..200)
            .map(|i| {
                let (x, y) = (f64::from(i % 20) * 0.05, f64::from(i / 20) * 0.1);
                let label = ["building", "tree", "road", "water"][i as usize % 4];
                json!({"uid": format!("a{i}"), "labels": {"objects": {"labels": [{"id": label}]}},
                       "polygons": [{"geometry": {"type": "polygon",
                           "vertices": [x + 0.01, y + 0.01, x + 0.04, y + 0.01, x + 0.025, y + 0.09]}}]})
            })
            .collect();
        let ov = overlays(&task(json!({"annotations": annotations})), &cfg)
            .tools
            .remove(0);
        assert_eq!(ov.shapes.len(), 200);
        let mut img = RgbaImage::from_pixel(4000, 3000, GREY);
        draw(&mut img, &ov, 0, &|_| false);
        // The first polygon's top edge (y = 0.01 → 30 px) between its corners, in "building" red.
        assert_eq!(img.get_pixel(100, 30), &RED);
        // The last one (i = 199: x = 0.95, y = 0.9) top edge at y = 2730, x ≈ 3900, "water" blue.
        assert_eq!(img.get_pixel(3900, 2730), &Rgba([0x43, 0x63, 0xd8, 255]));
        assert_eq!(img.get_pixel(100, 150), &GREY, "inside a triangle");
        // 10-px lines on a 4000-px image.
        let thick = (20..40).filter(|&y| img.get_pixel(100, y) == &RED).count();
        assert!((9..=12).contains(&thick), "{thick}");
    }
}
