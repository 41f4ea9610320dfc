#include "core/result.hpp"

#include <cerrno>
#include <cstring>

namespace tinyx {

bool is_machine_fault_errno(int error_number) {
    switch (error_number) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case ENOMEM:
    case EROFS:
    case EMFILE:
    case ENFILE: return true;
    default: return false;
    }
}

Error Error::from_errno(int error_number, const std::string& what, Exit otherwise) {
    Exit exit = is_machine_fault_errno(error_number) ? Exit::machine_fault : otherwise;
    return {exit, what + ": " + std::strerror(error_number), {}};
}

} // namespace tinyx
