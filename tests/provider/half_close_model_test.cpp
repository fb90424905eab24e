#include "provider/half_close.h"
