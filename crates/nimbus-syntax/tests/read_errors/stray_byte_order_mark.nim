(a)
﻿ (b x﻿y)
