#!/usr/bin/env bash
# Refresh the vendored Leaflet from the npm registry, pinned by version. The operations room
# must work with no network, so the map library ships inside the package, with its licence.
set -euo pipefail
VERSION="${1:-1.9.4}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/hanano/web/static/vendor/leaflet"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "leaflet@$VERSION" >/dev/null
tar xzf "leaflet-$VERSION.tgz"
rm -rf "$DEST"
mkdir -p "$DEST/images"
cp package/dist/leaflet.js package/dist/leaflet.css package/LICENSE "$DEST/"
cp package/dist/images/*.png "$DEST/images/"
echo "$VERSION" >"$DEST/VERSION"
echo "Leaflet $VERSION vendored into $DEST"
