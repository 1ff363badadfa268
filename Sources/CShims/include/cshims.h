#ifndef CSHIMS_H
#define CSHIMS_H
#include <spawn.h>
/* glibc functions that need _GNU_SOURCE, which Swift's Glibc module does not define. */
int cshims_pipe_cloexec(int fds[2]);
int cshims_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/* O_DIRECT, which Glibc only defines under _GNU_SOURCE. */
int cshims_o_direct(void);
/* A file descriptor that becomes readable when process `pid` exits (Linux 5.3+); -1 if the
   kernel has no pidfd_open. Lets a parent wait for a child with a timeout, without polling. */
int cshims_pidfd_open(int pid);
/* POSIX_SPAWN_SETSID (glibc 2.26+): the child starts its own session, as `setsid` would. */
short cshims_spawn_setsid_flag(void);
/* The child gets no descriptor from `lowfd` on (glibc 2.34+; -1 where it is missing). */
int cshims_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);
/* prctl(PR_SET_CHILD_SUBREAPER): orphans of this process's descendants come to it, so that it
   can reap them (prctl is variadic, which Swift cannot call). */
int cshims_set_child_subreaper(int on);
#endif
