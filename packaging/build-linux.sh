#!/usr/bin/env bash
# Build the Linux one-dir bundle, a .deb and an AppDir (turned into an AppImage by CI).
#   PYTHON=.venv/bin/python packaging/build-linux.sh [OUT_DIR]    (default OUT_DIR: dist)
# Needs: PyInstaller in $PYTHON's environment, dpkg-deb. No network access.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
WORK="$OUT/.work"
APP_ID=org.kimai.KimaiTray
VERSION="$("$PYTHON" -c 'import kimai_tray; print(kimai_tray.__version__)')"
ARCH="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
LINUX="$ROOT/packaging/linux"
ICON="$ROOT/resources/icons/$APP_ID.svg"  # the app icon the UI also uses

rm -rf "$WORK" "$OUT/kimai-tray"
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$OUT" --workpath "$WORK/pyinstaller" "$ROOT/packaging/kimai-tray.spec"

# Desktop integration shared by the .deb and the AppDir: .desktop, metainfo, hicolor icons.
SHARE="$WORK/share"
mkdir -p "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons/hicolor/scalable/apps"
cp "$LINUX/$APP_ID.desktop" "$SHARE/applications/"
cp "$LINUX/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
cp "$ICON" "$SHARE/icons/hicolor/scalable/apps/"
SIZES=(16 22 24 32 48 64 128 256)
"$PYTHON" "$ROOT/packaging/render_icons.py" "$ICON" "$WORK/png" "${SIZES[@]}"
for size in "${SIZES[@]}"; do
  install -Dm644 "$WORK/png/$size.png" "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done

# .deb: the bundle in /opt/kimai-tray, a /usr/bin symlink, files owned by root.
DEB="$WORK/deb"
mkdir -p "$DEB/DEBIAN" "$DEB/opt" "$DEB/usr/bin"
cp -a "$OUT/kimai-tray" "$DEB/opt/kimai-tray"
ln -s /opt/kimai-tray/kimai-tray "$DEB/usr/bin/kimai-tray"
cp -a "$SHARE" "$DEB/usr/share"
# Depends: what the bundle leaves to the system (ldd of the Qt platform plugins: GL/EGL, xcb,
# wayland) plus what Qt loads at run time (fontconfig config, D-Bus for the tray and keyring).
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" \
  -e "s/@SIZE@/$(du -sk "$DEB" | cut -f1)/" "$LINUX/control.in" > "$DEB/DEBIAN/control"
DEB_FILE="$OUT/kimai-tray_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$DEB" "$DEB_FILE" >/dev/null

# AppDir for appimagetool (run in CI: `appimagetool dist/kimai-tray.AppDir`).
APPDIR="$OUT/kimai-tray.AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/bin"
cp -a "$OUT/kimai-tray" "$APPDIR/usr/lib-kimai-tray"
ln -s ../lib-kimai-tray/kimai-tray "$APPDIR/usr/bin/kimai-tray"
cp -a "$SHARE" "$APPDIR/usr/share"
cp "$LINUX/$APP_ID.desktop" "$ICON" "$APPDIR/"
install -m755 "$LINUX/AppRun" "$APPDIR/AppRun"

rm -rf "$WORK"
echo "bundle: $OUT/kimai-tray ($(du -sh "$OUT/kimai-tray" | cut -f1))"
echo "deb:    $DEB_FILE ($(du -sh "$DEB_FILE" | cut -f1))"
echo "appdir: $APPDIR"
