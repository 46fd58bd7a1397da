#!/usr/bin/env bash
# Refresh the vendored Swagger UI (the page at /docs) from the npm registry, pinned by version.
# The API's docs must load nothing from elsewhere: a server in a city under bombardment may have
# no route to a CDN, and a script from one could read what the page's operator types.
set -euo pipefail
VERSION="${1:-5.36.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/hanano/web/static/vendor/swagger-ui"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null
tar xzf "swagger-ui-dist-$VERSION.tgz"
rm -rf "$DEST"
mkdir -p "$DEST"
cp package/swagger-ui-bundle.js package/swagger-ui.css package/favicon-32x32.png package/LICENSE \
    "$DEST/"
[ -f package/NOTICE ] && cp package/NOTICE "$DEST/"
# The files name their source maps, which are not shipped; the browser would ask for them in vain.
sed -i -e '/^\/\/# sourceMappingURL=/d' -e '/^\/\*# sourceMappingURL=.*\*\/$/d' \
    "$DEST/swagger-ui-bundle.js" "$DEST/swagger-ui.css"
echo "$VERSION" >"$DEST/VERSION"
echo "Swagger UI $VERSION vendored into $DEST"
