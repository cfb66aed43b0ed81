from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("django_shop", "0001_initial")]

    operations = [
        migrations.AlterField(model_name="order", name="pid", field=models.IntegerField(default=0)),
        migrations.AddField(
            model_name="order",
            name="email",
            field=models.CharField(blank=True, default="", max_length=255),
        ),
    ]
