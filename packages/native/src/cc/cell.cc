// The table of cells (cell.h): each cells/<name>.cc adds its own at load time.
#include "cell.h"

#include <stdexcept>

namespace rnnlab {
namespace {

std::vector<const Cell*>& table() {
  static std::vector<const Cell*> cells;  // built before first use, whatever order the files load in
  return cells;
}

}  // namespace

RegisterCell::RegisterCell(const Cell& cell) {
  if (findCell(cell.name())) throw std::logic_error(std::string("two cells named ") + cell.name());
  table().push_back(&cell);
}

const Cell* findCell(const std::string& name) {
  for (const Cell* c : table())
    if (name == c->name()) return c;
  return nullptr;
}

std::vector<std::string> cellNames() {
  std::vector<std::string> out;
  for (const Cell* c : table()) out.emplace_back(c->name());
  return out;
}

}  // namespace rnnlab
