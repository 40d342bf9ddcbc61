//! QR codes as inline SVG: drawn with `fill` attributes only, so they need
//! no inline style, no `data:` URL and no image from elsewhere, and pass the
//! strict Content-Security-Policy.

/// The SVG element of a QR code for `text`, ready to put in a page.
pub(crate) fn svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    let image = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // An XML declaration is not allowed inside HTML.
    let element = image
        .find("<svg")
        .map_or(image.as_str(), |start| &image[start..]);
    Ok(element.replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\" ",
        1,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_svg_is_an_element_without_styles_or_urls() {
        let svg =
            super::svg("otpauth://totp/Acme:a%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme")
                .unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(!svg.contains("style"));
        assert!(!svg.contains("data:"));
        assert!(svg.ends_with("</svg>"));
    }
}
