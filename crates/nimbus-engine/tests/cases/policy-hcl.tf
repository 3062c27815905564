# Policies written in the Terraform language guard plan, apply and
# destroy as `.nim` ones do: a mandatory deny blocks the destroy of a
# production object, naming the rule and the resource; a rule undecided at
# plan (its value unknown) is checked again at apply and stops the change
# it fails then; an exception lets one object go.
# ---- apply
resource "terraform-data" "prod" {
  input = { Environment = "Production" }
}
resource "terraform-data" "dev" {
  input = { Environment = "Dev" }
}
# ---- plan
policy "guard" {
  deny "builtin:Delete" {
    when    = attribute("input", "Environment") == "Production"
    message = "production objects are kept"
  }
}
resource "terraform-data" "dev" {
  input = { Environment = "Dev" }
}
# ---- apply
policy "guard" {
  deny "builtin:Create" {
    when = address != "terraform-data.source" && attribute("input") == "forbidden"
  }
}
resource "terraform-data" "prod" {
  input = { Environment = "Production" }
}
resource "terraform-data" "dev" {
  input = { Environment = "Dev" }
}
resource "terraform-data" "source" {
  input = "forbidden"
}
resource "terraform-data" "copy" {
  input = terraform-data.source.output
}
# ---- destroy
policy "guard" {
  deny "builtin:Delete" {
    when = attribute("input", "Environment") == "Production"
  }
}
resource "terraform-data" "prod" {
  input = { Environment = "Production" }
  policy_exception "guard.deny" {
    reason = "the project is retired"
  }
}
resource "terraform-data" "dev" {
  input = { Environment = "Dev" }
}
resource "terraform-data" "source" {
  input = "forbidden"
}
