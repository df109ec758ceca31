/*
 * version.h: what build this binary is. The build id names the version
 * and the source it was built from (git describe); the Makefile writes it
 * into one generated file that every binary links, so a supervisor and
 * the workers it starts agree exactly when they came from the same build.
 */
#ifndef IRIDIUM_VERSION_H
#define IRIDIUM_VERSION_H

extern const char iridium_build_id[];

#endif
