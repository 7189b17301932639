//! Segmentation masks: the PNG in each task's `data.mask` (a data URI), as 8-bit RGB,
//! optionally recoloured label by label through the labels' bChannel.

use base64::Engine;
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Cursor;

/// The mask data URI of a raw task (form tasks: of the tool input), if any.
pub fn mask_of(task: &Value, input_id: Option<&str>) -> Option<String> {
    let body = task.get("data")?.get("body")?;
    let body = match input_id {
        Some(id) => body.get(id)?,
        None => body,
    };
    body.get("mask")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The file stem for a task: its name, without the extension when asked
/// (`a.b.jpg` → `a.b`; a name starting with its only dot becomes empty).
pub fn file_stem(task_name: &str, replace_extension: bool) -> &str {
    match task_name.rfind('.') {
        Some(i) if replace_extension => &task_name[..i],
        _ => task_name,
    }
}

/// Decodes a data URI (`data:image/png;base64,…`) into 8-bit RGB, as OpenCV's colour decoding
/// does (alpha dropped, grey replicated, 16-bit shifted down).
pub fn decode_data_uri(uri: &str) -> Result<RgbImage, String> {
    let payload = uri
        .split(',')
        .nth(1)
        .ok_or("the mask is not a data URI (no comma)")?;
    let cleaned: String = payload
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/')
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned.as_bytes())
        .map_err(|e| format!("the mask is not valid base64: {e}"))?;
    let img =
        image::load_from_memory(&bytes).map_err(|e| format!("the mask is not an image: {e}"))?;
    Ok(to_rgb8(img))
}

fn to_rgb8(img: DynamicImage) -> RgbImage {
    match img {
        DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => {
            let wide = img.to_rgb16();
            let (w, h) = wide.dimensions();
            let raw: Vec<u8> = wide
                .into_raw()
                .into_iter()
                .map(|v| (v >> 8) as u8)
                .collect();
            RgbImage::from_raw(w, h, raw).unwrap_or_else(|| RgbImage::new(w, h))
        }
        other => other.to_rgb8(),
    }
}

/// Recolours in place: for each (label, rgb) in order, the pixels whose blue is the label's
/// bChannel and whose red is not 0 take the colour. Labels without a bChannel are skipped.
pub fn apply_semantic_mapping(
    img: &mut RgbImage,
    mapping: &[(String, [u8; 3])],
    b_channels: &HashMap<String, i64>,
) {
    for (label, to) in mapping {
        let Some(&b) = b_channels.get(label) else {
            continue;
        };
        if b == 0 {
            continue;
        }
        let Ok(b) = u8::try_from(b) else { continue };
        for px in img.pixels_mut() {
            if px.0[0] >= 1 && px.0[2] == b {
                px.0 = *to;
            }
        }
    }
}

/// The PNG file for one mask.
pub fn render(
    uri: &str,
    mapping: Option<&[(String, [u8; 3])]>,
    b_channels: &HashMap<String, i64>,
) -> Result<Vec<u8>, String> {
    let mut img = decode_data_uri(uri)?;
    if let Some(m) = mapping {
        apply_semantic_mapping(&mut img, m, b_channels);
    }
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| format!("cannot encode the mask as PNG: {e}"))?;
    Ok(out.into_inner())
}

#[cfg(test)]
pub(crate) fn data_uri(img: &DynamicImage) -> String {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png).unwrap();
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(out.into_inner())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};
    use serde_json::json;

    #[test]
    fn decodes_rgba_dropping_alpha() {
        let mut img = RgbaImage::new(2, 1);
        img.put_pixel(0, 0, Rgba([2, 0, 7, 255]));
        img.put_pixel(1, 0, Rgba([3, 1, 9, 0]));
        let uri = data_uri(&DynamicImage::ImageRgba8(img));
        let rgb = decode_data_uri(&uri).unwrap();
        assert_eq!(rgb.get_pixel(0, 0).0, [2, 0, 7]);
        assert_eq!(rgb.get_pixel(1, 0).0, [3, 1, 9]);
        assert!(decode_data_uri("data:image/png;base64").is_err());
        assert!(decode_data_uri("data:image/png;base64,AAAA").is_err());
    }

    #[test]
    fn semantic_mapping_by_b_channel_in_order() {
        let mut img = RgbImage::new(4, 1);
        img.put_pixel(0, 0, image::Rgb([2, 0, 7])); // cat instance
        img.put_pixel(1, 0, image::Rgb([0, 0, 7])); // red 0: background-ish, untouched
        img.put_pixel(2, 0, image::Rgb([5, 1, 9])); // dog
        img.put_pixel(3, 0, image::Rgb([5, 1, 3])); // unmapped
        let b: HashMap<String, i64> = [("cat".into(), 7), ("dog".into(), 9), ("zero".into(), 0)]
            .into_iter()
            .collect();
        let mapping = vec![
            ("cat".to_string(), [255, 0, 9]), // becomes dog's channel…
            ("dog".to_string(), [0, 255, 0]), // …so dog's rule repaints it too, like the SDK
            ("zero".to_string(), [1, 1, 1]),
            ("unknown".to_string(), [1, 1, 1]),
        ];
        apply_semantic_mapping(&mut img, &mapping, &b);
        assert_eq!(img.get_pixel(0, 0).0, [0, 255, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [0, 0, 7]);
        assert_eq!(img.get_pixel(2, 0).0, [0, 255, 0]);
        assert_eq!(img.get_pixel(3, 0).0, [5, 1, 3]);
    }

    #[test]
    fn stems_and_mask_lookup() {
        assert_eq!(file_stem("a.b.jpg", true), "a.b");
        assert_eq!(file_stem("a.b.jpg", false), "a.b.jpg");
        assert_eq!(file_stem("noext", true), "noext");
        assert_eq!(file_stem(".hidden", true), "");
        let t = json!({"data": {"body": {"mask": "data:x,y", "img": {"mask": "data:z,w"}}}});
        assert_eq!(mask_of(&t, None).as_deref(), Some("data:x,y"));
        assert_eq!(mask_of(&t, Some("img")).as_deref(), Some("data:z,w"));
        assert_eq!(
            mask_of(&json!({"data": {"body": {"mask": ""}}}), None),
            None
        );
    }

    #[test]
    fn render_round_trips_pixels() {
        let mut img = RgbImage::new(3, 2);
        img.put_pixel(2, 1, image::Rgb([4, 0, 7]));
        let uri = data_uri(&DynamicImage::ImageRgb8(img.clone()));
        let png = render(&uri, None, &HashMap::new()).unwrap();
        let back = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(back, img);
    }
}
