/*
 * testhooks.h: a compromised worker on demand, for tests only.
 *
 * Built only with IRIDIUM_TEST_HOOKS defined, into the test workers
 * (iridium-worker-test, iridium-worker-ssh-test), which only tests start.
 * There worker.c lends the session testhook_session, so that every input
 * line goes to the hooks before the REPL sees it: "!test NAME" makes the
 * worker misbehave toward the supervisor in the way NAME says (a
 * malformed datagram, a message out of state, a crash, a hang, ...), so
 * tests can prove the supervisor survives each. The normal binaries have
 * none of it: there "!test" is just another line for the REPL ("Invalid
 * command!").
 */
#ifndef IRIDIUM_TESTHOOKS_H
#define IRIDIUM_TESTHOOKS_H

#ifdef IRIDIUM_TEST_HOOKS

#include "session.h"

/*
 * The session's hooks (session.h): .line takes "!test NAME" (or "!test"
 * alone, which lists the hooks), acts on it and says what happened; some
 * hooks never return (crash, hang, exit). .poll_ms is how long each poll
 * checkpoint of a command waits after "!test slowpoll" (0 before); the
 * first such wait is logged ("test slowpoll: a poll checkpoint waits"),
 * so a test knows the command is in its checkpoints. An ssh exec command
 * has no line to say "!test NAME" in: the test worker takes the env
 * request IRIDIUM_TEST=NAME for it.
 */
extern const struct session_hooks testhook_session;

/*
 * sandbox_enter()'s probe (sandbox.h): records what Landlock alone
 * refuses, for "!test landlock".
 */
void	testhook_probe(int landlock_abi);

#endif

#endif
