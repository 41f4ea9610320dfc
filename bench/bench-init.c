/* /bench-init of the boot stage's shared initramfs (rdinit=/bench-init): loads the kernel
 * modules listed in /bench/modules.order (Debian's stock kernel has virtio-pci and virtio-net
 * as modules; tinyx's kernel has them built in and no module support, so there every load fails
 * at once and is ignored), then execs tinyx's /init with the same arguments, as PID 1.
 * Built statically by bench/stage-boot.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
    (void)argc;
    FILE* list = fopen("/bench/modules.order", "r");
    char line[512];
    while (list && fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        int fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        syscall(SYS_finit_module, fd, "", 0);
        close(fd);
    }
    if (list) fclose(list);
    argv[0] = "/init";
    execv("/init", argv);
    return 127;
}
