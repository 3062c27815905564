variable "replicas" {
  type    = number
  default = 3
}

resource "terraform_data" "config" {
  input = "v1"
}

resource "terraform_data" "shard" {
  count = 2
  input = count.index
}

resource "terraform_data" "web" {
  count = 2
  input = var.replicas

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.config, terraform_data.shard[count.index], terraform_data.config.input]

    precondition {
      condition     = var.replicas >= 3
      error_message = "At least 3 replicas, not ${var.replicas}."
    }

    postcondition {
      condition     = self.output == var.replicas && length(self.id) > 0
      error_message = <<-EOT
        The output must echo the input.
      EOT
    }
  }
}

data "local_file" "motd" {
  filename = "motd.txt"

  lifecycle {
    postcondition {
      condition     = self.content != ""
      error_message = "The message of the day is empty."
    }
  }
}

output "web" {
  value = terraform_data.web[0].output

  precondition {
    condition     = terraform_data.web[0].output != null
    error_message = "No output."
  }
}

check "site" {
  assert {
    condition     = startswith(terraform_data.config.output, "v")
    error_message = "The config ${terraform_data.config.output} is unversioned."
  }

  assert {
    condition     = data.local_file.motd.content != ""
    error_message = "Empty."
  }
}

check "motd" {
  data "local_file" "scoped" {
    filename = "motd.txt"
  }

  assert {
    condition     = data.local_file.scoped.content != ""
    error_message = "The scoped read is empty."
  }
}
