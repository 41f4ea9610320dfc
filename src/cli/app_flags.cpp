#include "app_flags.hpp"

namespace tinyx::cli {

void add_app_flags(CLI::App* cmd, AppFlags& flags) {
    cmd->add_option("--image", flags.image,
                    "A local container image instead of --app: oci:DIR[:TAG], oci-archive:FILE[:TAG] or docker-archive:FILE "
                    "(from a registry: skopeo copy docker://NAME oci:DIR:TAG first). Its Entrypoint+Cmd, Env, WorkingDir, "
                    "User and ExposedPorts are the defaults of --run, --env, --workdir, --user and --forward");
    cmd->add_option("--env", flags.env, "NAME=VALUE in the app's (and the guest test's) environment; repeatable");
    cmd->add_option("--user", flags.user, "Run the app as NAME[:GROUP] or UID[:GID] (default root, or the image's User)");
    cmd->add_option("--workdir", flags.workdir, "The app's working directory in the guest (default /, or the image's WorkingDir)");
}

} // namespace tinyx::cli
