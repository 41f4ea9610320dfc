// Placeholder translation unit until the module has sources of its own.
namespace tinyx::kconfig {
int module_anchor = 0;
}
