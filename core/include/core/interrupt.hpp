// Ctrl-C and SIGTERM handling. The first signal sets a flag and wakes any
// process wait (through a self-pipe), so long steps stop, kill their children
// and unwind normally: temporary files are removed and journals stay valid.
// A second signal restores the default action, so a stuck run can still be
// killed by pressing Ctrl-C again.
#pragma once

namespace tinyx::interrupt {

void install_handlers();
bool requested();
// A descriptor that becomes readable once an interrupt was requested (for poll()).
int wake_fd();
// For tests: behave as if Ctrl-C had been pressed, or forget that it was.
void request_for_testing();
void reset_for_testing();

} // namespace tinyx::interrupt
