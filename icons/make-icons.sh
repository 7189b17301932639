#!/usr/bin/env bash
# Regenerates the Lab Desk icon set (RGBA PNGs at every size Tauri asks for, plus .ico/.icns)
# from a drawing made with ImageMagick. Usage: icons/make-icons.sh
set -euo pipefail
cd "$(dirname "$0")"
S=1024
convert -size ${S}x${S} xc:none \
  -fill '#1f5fbf' -draw "roundrectangle 64,64 960,960 190,190" \
  -fill '#ffffff' -draw "roundrectangle 230,250 794,330 30,30" \
  -fill '#cfe0ff' -draw "roundrectangle 230,430 794,490 26,26" \
  -fill '#cfe0ff' -draw "roundrectangle 230,570 620,630 26,26" \
  -fill '#cfe0ff' -draw "roundrectangle 230,710 540,770 26,26" \
  -stroke '#3ddc97' -strokewidth 70 -fill none \
  -draw "polyline 610,700 690,780 830,600" \
  PNG32:source.png
png() { convert source.png -resize "$1x$1" -define png:color-type=6 "PNG32:$2"; }
png 32 32x32.png
png 64 64x64.png
png 128 128x128.png
png 256 128x128@2x.png
png 512 icon.png
for n in 30 44 71 89 107 142 150 284 310; do png $n "Square${n}x${n}Logo.png"; done
png 50 StoreLogo.png
convert source.png -define icon:auto-resize=256,128,64,48,32,24,16 icon.ico
# .icns (macOS): a container of PNG entries (ic07=128, ic08=256, ic09=512, ic10=1024 px)
png 1024 icns-1024.tmp.png
python3 - <<'PY'
import struct
entries = [(b"ic07", "128x128.png"), (b"ic08", "128x128@2x.png"), (b"ic09", "icon.png"), (b"ic10", "icns-1024.tmp.png")]
body = b"".join(t + struct.pack(">I", 8 + len(d)) + d for t, d in ((t, open(f, "rb").read()) for t, f in entries))
open("icon.icns", "wb").write(b"icns" + struct.pack(">I", 8 + len(body)) + body)
PY
rm -f icns-1024.tmp.png
