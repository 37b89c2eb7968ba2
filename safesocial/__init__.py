"""safesocial: a school's social media policy, carried out."""
