// SPDX-License-Identifier: GPL-2.0
//
// The test module's own copy of the core: the same translation unit as the
// driver's src/core/core.cpp, built with the same flags, so the KUnit
// suites exercise the in-kernel build of the very code the driver runs.
#include "../src/core/core.cpp"
