#!/usr/bin/env bash
# Build dist/kimai-tray.app (menu-bar only: LSUIElement) and dist/kimai-tray-<version>.dmg.
#   PYTHON=python3 packaging/macos/build.sh
# Needs: PyInstaller in $PYTHON's environment, hdiutil and iconutil (part of macOS).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
cd "$ROOT"
VERSION="$("$PYTHON" -c 'import kimai_tray; print(kimai_tray.__version__)')"

# The spec's BUNDLE step writes Info.plist (bundle id org.kimai.KimaiTray, LSUIElement true).
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/kimai-tray.spec
APP=dist/kimai-tray.app
/usr/libexec/PlistBuddy -c "Set :CFBundleShortVersionString $VERSION" "$APP/Contents/Info.plist"
[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$APP/Contents/Info.plist")" = true ]

# .icns from the SVG (rendered with Qt), so Finder and the dmg show the app icon.
ICONSET=build/kimai-tray.iconset
"$PYTHON" packaging/render_icons.py resources/icons/org.kimai.KimaiTray.svg build/png 16 32 64 128 256 512 1024
mkdir -p "$ICONSET"
for size in 16 32 128 256 512; do
  cp "build/png/$size.png" "$ICONSET/icon_${size}x${size}.png"
  cp "build/png/$((size * 2)).png" "$ICONSET/icon_${size}x${size}@2x.png"
done
iconutil -c icns "$ICONSET" -o "$APP/Contents/Resources/kimai-tray.icns"
/usr/libexec/PlistBuddy -c "Set :CFBundleIconFile kimai-tray.icns" "$APP/Contents/Info.plist" \
  || /usr/libexec/PlistBuddy -c "Add :CFBundleIconFile string kimai-tray.icns" "$APP/Contents/Info.plist"

# A drag-to-Applications disk image.
STAGE=build/dmg
rm -rf "$STAGE" && mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
DMG="dist/kimai-tray-$VERSION.dmg"
rm -f "$DMG"
hdiutil create -volname "Kimai Tray" -srcfolder "$STAGE" -format UDZO -ov "$DMG"
echo "app: $APP  dmg: $DMG"
