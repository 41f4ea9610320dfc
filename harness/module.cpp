// Placeholder translation unit until the module has sources of its own.
namespace tinyx::harness {
int module_anchor = 0;
}
