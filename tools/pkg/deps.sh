#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages that the packaging targets and tests need, besides
# tools/vm/deps.sh's: dpkg-buildpackage's (debhelper, dh-dkms, fakeroot),
# lintian, dkms (the DKMS test builds through it in a private tree) and
# mandoc (the man pages' lint).  Installs what is missing (apt-get, as
# root); does nothing when all is there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"

PKGS_PKG=(dpkg-dev debhelper dh-dkms fakeroot lintian dkms mandoc)
apt_install "${PKGS_PKG[@]}"
